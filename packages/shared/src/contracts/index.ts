export * as common from './common';
export * as custody from './custody';
export * as exchange from './exchange';
export * as fx from './fx';
export * as treasury from './treasury';
