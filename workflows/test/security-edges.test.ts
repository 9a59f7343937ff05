/**
 * The edges of the front door (issue 11, deliverable 7): long-lived tokens, the codec endpoint
 * without a token, control characters and deep nesting in bodies, wrong content types. Each is
 * refused with a problem+json naming what is wrong, recorded in the audit chain, and nothing
 * behind it runs (the Temporal client is spied on: no handle is ever asked for).
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { type AuditChain, type AuditRecord, createServiceApp, type Pool, parseInput, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { z } from 'zod';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import {
  CONTROL_API_AUDIENCE,
  createDevIssuer,
  type DevIssuer,
  loadOrCreateCodecUiSecret,
} from '../../control-api/src/dev-issuer';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../src/codec/payload-codec';
import { TEST_CONTROL_API_ENV, testAuditChain } from './audit-support';

const UI_SECRET = 'dev-ui-secret-0123456789-abcdefghijklmnop';
const codec = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('k-edges'))));

let app: Express;
let client: Client;
let getHandle: jest.SpyInstance;
let issuer: DevIssuer;
let connection: Connection;
let audit: AuditChain;
let pool: Pool;

beforeAll(async () => {
  issuer = await createDevIssuer();
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  client = new Client({ connection });
  // A request that got past the checks asks for a handle and fails at once (500): nothing is there.
  getHandle = jest.spyOn(client.workflow, 'getHandle').mockImplementation(() => {
    throw new Error('no Temporal in this test');
  });
  ({ audit, pool } = await testAuditChain('security_edges'));
  app = createControlApi({
    audit,
    client,
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    codecEndpoint: { codec, allowedOrigins: ['http://127.0.0.1:8233'], uiSecret: UI_SECRET },
  });
});

afterAll(async () => {
  await connection.close();
  await pool?.end();
});

beforeEach(() => getHandle.mockClear());

async function headSeq(): Promise<number> {
  let seq = 0;
  for (let page = await audit.list(); page.length > 0; page = await audit.list({ afterSeq: seq })) {
    seq = page.at(-1)?.seq ?? seq;
  }
  return seq;
}
const recordedSince = (seq: number): Promise<AuditRecord[]> => audit.list({ afterSeq: seq });

describe('bearer tokens live at most AUTH_MAX_TOKEN_LIFETIME (default 12 h)', () => {
  test('a token valid for ten years is refused 401 and recorded', async () => {
    const before = await headSeq();
    const token = await issuer.sign({
      sub: 'supervisor.li',
      roles: ['supervisor'],
      unit: 'case-handling',
      expiresIn: 10 * 365 * 24 * 3600,
    });
    const res = await request(app).get('/v1/cases').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:unauthenticated', reason: 'token-too-long-lived' });
    expect(getHandle).not.toHaveBeenCalled();
    expect((await recordedSince(before)).map((r) => [r.kind, r.actor, r.data.status, r.data.reason])).toEqual([
      ['access.refused', 'anonymous', 401, 'token-too-long-lived'],
    ]);
  });

  test('12 hours is accepted, 12 hours and a second is not; a configured maximum is honoured', async () => {
    const at = (expiresIn: number) => issuer.sign({ sub: 'auditor.qian', roles: ['auditor'], expiresIn });
    const auth = jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    });
    await expect(auth.authenticate(`Bearer ${await at(12 * 3600)}`)).resolves.toMatchObject({ id: 'auditor.qian' });
    await expect(auth.authenticate(`Bearer ${await at(12 * 3600 + 1)}`)).rejects.toMatchObject({
      status: 401,
      extensions: { reason: 'token-too-long-lived' },
    });
    const short = jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
      maxLifetimeSeconds: 1800,
    });
    await expect(short.authenticate(`Bearer ${await at(3600)}`)).rejects.toMatchObject({ status: 401 });
    expect(ControlApiConfig.parse(TEST_CONTROL_API_ENV).AUTH_MAX_TOKEN_LIFETIME).toBe(12 * 3600);
    expect(
      ControlApiConfig.parse({ ...TEST_CONTROL_API_ENV, AUTH_MAX_TOKEN_LIFETIME: '30m' }).AUTH_MAX_TOKEN_LIFETIME,
    ).toBe(1800);
    expect(ControlApiConfig.safeParse({ ...TEST_CONTROL_API_ENV, AUTH_MAX_TOKEN_LIFETIME: 'forever' }).success).toBe(
      false,
    );
  });

  test('a token that does not say when it was issued (no iat) is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const token = await new SignJWT({ roles: ['auditor'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('urn:test')
      .setAudience(CONTROL_API_AUDIENCE)
      .setSubject('auditor.qian')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(privateKey);
    const auth = jwtAuthenticator({
      issuer: 'urn:test',
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet({ keys: [jwk] }),
    });
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({
      status: 401,
      extensions: { reason: 'token-invalid' },
    });
  });

  test('the unit comes from the token’s unit claim (AUTH_UNIT_CLAIM)', async () => {
    const token = await issuer.sign({ sub: 'custodian.chen', roles: ['custodian'], unit: 'custody' });
    const byDefault = jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    });
    await expect(byDefault.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ unit: 'custody' });
    const other = jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
      unitClaim: 'department',
    });
    expect((await other.authenticate(`Bearer ${token}`)).unit).toBeUndefined();
  });
});

describe('the codec endpoint needs a credential in every mode', () => {
  const wire = async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ caseId: 'CASE-SECRET' })]);
    return {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encrypted?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
          ),
          data: Buffer.from(encrypted?.data ?? []).toString('base64'),
        },
      ],
    };
  };

  test('a token-less decode is refused 401 and recorded; there is no token-free setting any more', async () => {
    const before = await headSeq();
    const res = await request(app)
      .post('/codec/decode')
      .send(await wire());
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).not.toContain('CASE-SECRET');
    expect((await recordedSince(before)).map((r) => [r.kind, r.data.endpoint, r.data.status])).toEqual([
      ['access.refused', 'POST /codec/decode', 401],
    ]);
    const noneMode = ControlApiConfig.safeParse({ ...TEST_CONTROL_API_ENV, CODEC_AUTH: 'none' });
    expect(noneMode.success).toBe(false);
    expect(noneMode.error?.issues[0]?.message).toMatch(/CODEC_AUTH=none was removed/);
  });

  test('an operator’s token decodes', async () => {
    const token = await issuer.mint('operator.he');
    const res = await request(app)
      .post('/codec/decode')
      .set('authorization', `Bearer ${token}`)
      .send(await wire());
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body.payloads[0].data, 'base64').toString()).toContain('CASE-SECRET');
  });

  test('the dev Web UI decodes through /codec/<secret>; a wrong secret, or encode there, is 401 and recorded', async () => {
    const ok = await request(app)
      .post(`/codec/${UI_SECRET}/decode`)
      .send(await wire());
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.body.payloads[0].data, 'base64').toString()).toContain('CASE-SECRET');
    // The browser's preflight is answered for the UI's origin.
    const preflight = await request(app).options(`/codec/${UI_SECRET}/decode`).set('origin', 'http://127.0.0.1:8233');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');

    const before = await headSeq();
    const wrong = await request(app)
      .post(`/codec/${UI_SECRET.replace(/.$/, 'x')}/decode`)
      .send(await wire());
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('CASE-SECRET');
    const encode = await request(app)
      .post(`/codec/${UI_SECRET}/encode`)
      .send(await wire());
    expect(encode.status).toBe(401);
    expect((await recordedSince(before)).map((r) => [r.kind, r.data.reason])).toEqual([
      ['access.refused', 'codec-ui-secret'],
      ['access.refused', 'codec-ui-encode'],
    ]);
  });

  test('the UI secret is refused with a real identity provider, and kept in a file only its owner reads', async () => {
    const oidc = ControlApiConfig.safeParse({
      ...TEST_CONTROL_API_ENV,
      AUTH_MODE: 'oidc',
      AUTH_ISSUER: 'https://idp.example',
      AUTH_JWKS_URL: 'https://idp.example/jwks',
      CODEC_UI_SECRET: UI_SECRET,
    });
    expect(oidc.success).toBe(false);
    expect(oidc.error?.issues.map((i) => i.path[0])).toEqual(['CODEC_UI_SECRET']);

    const file = path.join(tmpdir(), `vcdc-codec-${process.pid}-${Date.now()}`, 'codec-ui-secret');
    const secret = await loadOrCreateCodecUiSecret(file);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ControlApiConfig.parse({ ...TEST_CONTROL_API_ENV, CODEC_UI_SECRET: secret }).CODEC_UI_SECRET).toBe(secret);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateCodecUiSecret(file)).toBe(secret);
  });
});

describe('bodies: control characters, nesting, content types', () => {
  const decisionAs = async (person: string, body: string, contentType = 'application/json') =>
    request(app)
      .post('/v1/cases/CASE-1/decisions')
      .set('authorization', `Bearer ${await issuer.mint(person)}`)
      .set('content-type', contentType)
      .send(body);

  test('a decision whose reason carries NUL is 400 naming `reason`, recorded, and nothing reaches the workflow', async () => {
    const before = await headSeq();
    const res = await decisionAs(
      'supervisor.li',
      JSON.stringify({ stage: 'DISPOSAL_PLAN', outcome: 'REJECT', reason: 'looks fine\u0000; DROP TABLE' }),
    );
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    expect(getHandle).not.toHaveBeenCalled();
    expect((await recordedSince(before)).map((r) => [r.kind, r.actor, r.data.status, r.data.path])).toEqual([
      ['request.refused', 'supervisor.li', 400, '/v1/cases/CASE-1/decisions'],
    ]);
  });

  test.each([
    ['\u0001', true],
    ['\u0008', true],
    ['\u000b', true],
    ['\u000c', true],
    ['\u001b[31m', true],
    ['\u007f', true],
    ['line one\nline two', false],
    ['a\ttab', false],
  ])('a text field with %j is refused: %s', async (text, refused) => {
    const res = await decisionAs(
      'supervisor.li',
      JSON.stringify({ stage: 'DISPOSAL_PLAN', outcome: 'REJECT', reason: text }),
    );
    if (refused) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    } else {
      // Past the body checks: the route ran and asked Temporal (which is not there).
      expect(res.status).not.toBe(400);
      expect(getHandle).toHaveBeenCalled();
    }
  });

  test('a nested field and a key are named too', async () => {
    const nested = await decisionAs(
      'officer.zhang',
      JSON.stringify({ caseId: 'C-1', lots: [{ lotId: 'L1' }, { lotId: 'L\u00002' }] }),
    );
    expect(nested.status).toBe(400);
    expect(nested.body.errors[0].field).toBe('lots[1].lotId');
    const key = await decisionAs('officer.zhang', JSON.stringify({ caseId: 'C-1', lots: [{ 'lot\u0000Id': 'L1' }] }));
    expect(key.status).toBe(400);
    expect(key.body.errors[0]).toMatchObject({ field: 'lots[0]', message: expect.stringMatching(/^a key contains/) });
  });

  test('JSON nested deeper than 32 levels is 400, not 500; 32 levels pass the checks', async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const res = await decisionAs('supervisor.li', `{"stage":"DISPOSAL_PLAN","outcome":"APPROVE","x":${deep(40)}}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/nests deeper than 32 levels/);
    expect(getHandle).not.toHaveBeenCalled();
    // A million levels: refused the same way, without a stack overflow.
    const huge = await decisionAs('supervisor.li', `${'['.repeat(300_000)}${']'.repeat(300_000)}`);
    expect(huge.status).toBe(400);
    const ok = await decisionAs('supervisor.li', `{"stage":"DISPOSAL_PLAN","outcome":"APPROVE","x":${deep(30)}}`);
    expect(ok.status).not.toBe(400);
  });

  test('a POST that is not application/json is 415 problem+json, recorded', async () => {
    const before = await headSeq();
    const res = await decisionAs('supervisor.li', 'stage=DISPOSAL_PLAN&outcome=APPROVE', 'text/plain');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:unsupported-media-type' });
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Content-Type' })]);
    expect(getHandle).not.toHaveBeenCalled();
    const form = await decisionAs('supervisor.li', 'a=1', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect((await recordedSince(before)).map((r) => [r.kind, r.data.status])).toEqual([
      ['request.refused', 415],
      ['request.refused', 415],
    ]);
  });
});

test('refused bodies count against the rate limit (a flood of them is 429, not a flood of audit records)', async () => {
  const limited = createControlApi({
    audit,
    client,
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    rateLimitPerMinute: 2,
  });
  const before = await headSeq();
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    const res = await request(limited).post('/v1/cases/CASE-1/decisions').send({ reason: 'x\u0000' });
    statuses.push(res.status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  }
  expect(statuses).toEqual([400, 400, 429, 429]);
  expect(await recordedSince(before)).toHaveLength(2);
});

describe('every service gets the same body checks from the shared shell', () => {
  let service: Express;
  let servicePool: Pool;
  let serviceAudit: AuditChain;
  beforeAll(async () => {
    ({ pool: servicePool, audit: serviceAudit } = await testAuditChain('security_edges_service'));
    service = createServiceApp({
      service: 'example',
      logger: silentLogger(),
      readiness: async () => undefined,
      audit: { pool: servicePool },
      routes: (a) => {
        a.post('/v1/things', (req, res) => {
          res.status(201).json(parseInput(z.object({ note: z.string() }), req.body));
        });
        a.post('/v1/pings', (_req, res) => {
          res.status(204).end();
        });
      },
    });
  });
  afterAll(async () => {
    await servicePool?.end();
  });

  test('415, control characters and nesting are refused there too, and land in that service’s audit chain', async () => {
    const text = await request(service).post('/v1/things').set('content-type', 'text/plain').send('note=x');
    expect(text.status).toBe(415);
    const nul = await request(service).post('/v1/things').send({ note: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([expect.objectContaining({ field: 'note' })]);
    const deep = await request(service)
      .post('/v1/things')
      .set('content-type', 'application/json')
      .send(`${'{"n":'.repeat(50)}1${'}'.repeat(50)}`);
    expect(deep.status).toBe(400);
    expect((await serviceAudit.list()).map((r) => [r.kind, r.data.status, r.data.type])).toEqual([
      ['request.refused', 415, 'urn:vcdc:problem:unsupported-media-type'],
      ['request.refused', 400, 'urn:vcdc:problem:validation'],
      ['request.refused', 400, 'urn:vcdc:problem:validation'],
    ]);
    // What is well-formed passes; a POST without a body needs no content type.
    expect((await request(service).post('/v1/things').send({ note: 'two\nlines' })).status).toBe(201);
    expect((await request(service).post('/v1/pings')).status).toBe(204);
  });
});
