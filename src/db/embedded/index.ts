export type { Owner } from './owner.js';
export { type EmbeddedRelease, EmbeddedServer, type EmbeddedServerOptions, type EmbeddedStart, type EmbeddedStatus } from './server.js';
