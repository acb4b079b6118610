/** Which database engine a connection speaks to. */
export type Engine = 'postgres' | 'mariadb';

/**
 * What the connected engine can do, so capabilities pick a strategy without sniffing versions.
 *
 * @example
 * const strategy = database.capabilities.merge ? 'merge' : 'native';
 */
export interface DialectCapabilities {
  readonly engine: Engine;
  /** Server version as major * 10000 + minor * 100 + patch (PostgreSQL's server_version_num style). */
  readonly versionNum: number;
  readonly version: string;
  /** INSERT ... RETURNING. */
  readonly insertReturning: boolean;
  /** UPDATE / DELETE ... RETURNING. */
  readonly updateReturning: boolean;
  /** Native upsert syntax. */
  readonly upsert: 'on-conflict' | 'on-duplicate-key';
  /** SQL MERGE (PostgreSQL 15+). */
  readonly merge: boolean;
  /** MERGE ... RETURNING with merge_action() (PostgreSQL 17+). */
  readonly mergeReturning: boolean;
  /** COPY FROM/TO STDIN. */
  readonly copy: boolean;
  /** DDL inside a transaction rolls back with it. */
  readonly transactionalDdl: boolean;
  /** Unique indexes restricted by a WHERE clause. */
  readonly partialIndexes: boolean;
  /** Engine-native system-versioned (temporal) tables. */
  readonly systemVersioning: boolean;
  /** SELECT ... FOR UPDATE SKIP LOCKED. */
  readonly skipLocked: boolean;
  /** Most bind parameters one statement may carry. */
  readonly maxBindParameters: number;
}

export function postgresCapabilities(versionNum: number, version: string): DialectCapabilities {
  return {
    engine: 'postgres',
    versionNum,
    version,
    insertReturning: true,
    updateReturning: true,
    upsert: 'on-conflict',
    merge: versionNum >= 150000,
    mergeReturning: versionNum >= 170000,
    copy: true,
    transactionalDdl: true,
    partialIndexes: true,
    systemVersioning: false,
    skipLocked: true,
    maxBindParameters: 65535,
  };
}

/** Parses MariaDB's `VERSION()` text, e.g. `10.11.19-MariaDB-0+deb12u1`. */
export function mariadbCapabilities(version: string): DialectCapabilities {
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1) ?? []).map(Number);
  const versionNum = major * 10000 + minor * 100 + patch;
  return {
    engine: 'mariadb',
    versionNum,
    version,
    insertReturning: versionNum >= 100500,
    updateReturning: false,
    upsert: 'on-duplicate-key',
    merge: false,
    mergeReturning: false,
    copy: false,
    transactionalDdl: false,
    partialIndexes: false,
    systemVersioning: versionNum >= 100300,
    skipLocked: versionNum >= 100600,
    maxBindParameters: 65535,
  };
}
