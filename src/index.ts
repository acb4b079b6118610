export * from './boundary/index.js';
export * from './bulk/index.js';
export * from './db/index.js';
export * from './history/index.js';
export * from './observe/index.js';
export * from './service/index.js';
export * from './softdelete/index.js';
export * from './upsert/index.js';
