export { type AppOptions, buildApp } from './app.js';
export type { ProductRow, ServiceDatabase } from './catalog/schema.js';
export { createLogger, flushLog, type LogSettings, logSettings, OneLinePerRequest } from './logger.js';
export { migrateService, serviceMigrations } from './migrate.js';
export { type RunningService, type ServeOptions, serve } from './server.js';
