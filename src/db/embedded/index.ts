export type { Owner } from './owner.js';
export { EmbeddedServer, type EmbeddedServerOptions, type EmbeddedStart, type EmbeddedStatus } from './server.js';
