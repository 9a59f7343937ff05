/** The venue's records in the exact JSON shapes HashKey answers (what ccxt's hashkey parsers read). */
import { Decimal } from '../../../packages/shared/src/money';
import type { DepositRecord, OrderRecord, TradeRecord, WithdrawalRecord } from './state';
import { ACCOUNT_ID } from './venue';

/** Answer to POST api/v1/spot/order and DELETE api/v1/spot/order. */
export function orderAck(o: OrderRecord) {
  return {
    accountId: ACCOUNT_ID,
    symbol: o.symbol,
    symbolName: o.symbol,
    clientOrderId: o.clientOrderId,
    orderId: o.orderId,
    transactTime: String(o.time),
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    reqAmount: '0',
    concentration: '',
  };
}

/** Answer to GET api/v1/spot/order and the entries of api/v1/spot/openOrders. */
export function orderDetail(o: OrderRecord) {
  const executed = new Decimal(o.executedQty);
  return {
    accountId: ACCOUNT_ID,
    exchangeId: '301',
    symbol: o.symbol,
    symbolName: o.symbol,
    clientOrderId: o.clientOrderId,
    orderId: o.orderId,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cumulativeQuoteQty,
    cumulativeQuoteQty: o.cumulativeQuoteQty,
    avgPrice: executed.isZero() ? '0' : new Decimal(o.cumulativeQuoteQty).div(executed).toDecimalPlaces(10).toFixed(),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: '0.0',
    icebergQty: '0.0',
    time: String(o.time),
    updateTime: String(o.updateTime),
    isWorking: true,
    reqAmount: '0',
    feeCoin: o.feeCoin,
    feeAmount: o.feeAmount,
    sumFeeAmount: o.feeAmount,
  };
}

/** An entry of GET api/v1/account/trades. */
export function accountTrade(t: TradeRecord) {
  return {
    id: t.id,
    clientOrderId: t.clientOrderId,
    ticketId: t.ticketId,
    symbol: t.symbol,
    symbolName: t.symbol,
    orderId: t.orderId,
    matchOrderId: '0',
    price: t.price,
    qty: t.qty,
    commission: t.commission,
    commissionAsset: t.commissionAsset,
    time: String(t.time),
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    fee: { feeCoinId: t.commissionAsset, feeCoinName: t.commissionAsset, fee: t.commission },
    feeCoinId: t.commissionAsset,
    feeAmount: t.commission,
    makerRebate: '0',
  };
}

/**
 * An entry of GET api/v1/account/depositOrders (status 2 = confirming, 4 = credited, 5 = held for
 * review, with the reason in `remark`, as HashKey's withdrawal records carry theirs).
 */
export function depositOrder(d: DepositRecord, confirmations: number) {
  return {
    id: d.id,
    time: String(d.time),
    coin: d.coin,
    coinName: d.coin,
    address: d.address,
    quantity: d.quantity,
    status: d.status,
    statusCode: String(d.status),
    txId: d.txId,
    confirmations,
    remark: d.status === 5 ? (d.holdReason ?? '') : '',
  };
}

/** An entry of GET api/v1/account/withdrawOrders (status 2 = processing, 6 = paid out / mined, 3 = failed). */
export function withdrawOrder(w: WithdrawalRecord) {
  return {
    time: String(w.time),
    id: w.id,
    clientOrderId: w.clientOrderId ?? '',
    coin: w.coin,
    coinId: w.coin,
    coinName: w.coin,
    address: w.address,
    quantity: w.quantity,
    arriveQuantity: w.arriveQuantity,
    txId: w.txId,
    addressUrl: w.address,
    feeCoinId: w.coin,
    feeCoinName: w.coin,
    fee: w.fee,
    remark: w.failure ?? '',
    platform: '',
    status: String(w.status),
    statusCode: String(w.status),
  };
}
