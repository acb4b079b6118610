import { sql } from 'kysely';
import { defineInternalSteps, strataTable } from '../db/index.js';

/** `strata.principals`: who may call; never deleted, so a name and an id in history stay meaningful. */
export const PRINCIPALS_TABLE = strataTable('principals');
/** `strata.api_tokens`: one row per issued token, holding only the SHA-256 of its secret. */
export const TOKENS_TABLE = strataTable('api_tokens');
/**
 * `strata.token_state(id)`: a token's row as JSON (null: no such token), what every token check
 * reads. A PL/pgSQL function so that its plan is kept per connection instead of planned on every
 * request (#32); STABLE, so it reads in the snapshot of the statement that calls it.
 */
export const TOKEN_STATE_FUNCTION = strataTable('token_state');

/**
 * The role a principal's transactions run as when the login role would bypass row-level security
 * (a superuser, or a role with BYPASSRLS): `SET LOCAL ROLE` to it makes the policies apply.
 */
export const PRINCIPAL_ROLE = 'strata_principal';

defineInternalSteps([
  {
    id: 'principals/1-principals-and-tokens',
    async up(db) {
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${PRINCIPALS_TABLE} (
          id uuid PRIMARY KEY,
          name text NOT NULL UNIQUE,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          revoked_at timestamptz)`)
        .execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${TOKENS_TABLE} (
          id uuid PRIMARY KEY,
          principal_id uuid NOT NULL REFERENCES ${PRINCIPALS_TABLE} (id),
          secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
          scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
          created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          expires_at timestamptz,
          revoked_at timestamptz)`)
        .execute(db);
      await sql.raw(`CREATE INDEX IF NOT EXISTS api_tokens_principal ON ${TOKENS_TABLE} (principal_id)`).execute(db);
    },
  },
  {
    // Roles belong to the cluster, not the database: another database may have created it already,
    // possibly at this very moment (hence the exception handlers). Only a login role that bypasses
    // row-level security needs it; any other role is held to the policies as it is.
    id: 'principals/2-rls-role',
    async up(db) {
      await sql
        .raw(`DO $$
        BEGIN
          IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN RETURN; END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PRINCIPAL_ROLE}') THEN
            BEGIN
              CREATE ROLE ${PRINCIPAL_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS INHERIT;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
          END IF;
          IF NOT pg_has_role('${PRINCIPAL_ROLE}', current_user, 'USAGE') THEN
            BEGIN
              EXECUTE format('GRANT %I TO ${PRINCIPAL_ROLE}', current_user);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
          END IF;
        END $$`)
        .execute(db);
    },
  },
  {
    id: 'principals/3-token-state',
    async up(db) {
      await sql
        .raw(`CREATE OR REPLACE FUNCTION ${TOKEN_STATE_FUNCTION}(token_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
        BEGIN
          RETURN (SELECT json_build_object('secret_hash', encode(t.secret_hash, 'hex'), 'scopes', t.scopes, 'expires_at', t.expires_at,
                    'expired', coalesce(t.expires_at <= clock_timestamp(), false), 'revoked', (t.revoked_at IS NOT NULL OR p.revoked_at IS NOT NULL),
                    'principal_id', p.id, 'name', p.name)
                    FROM ${TOKENS_TABLE} t JOIN ${PRINCIPALS_TABLE} p ON p.id = t.principal_id
                   WHERE t.id = token_id);
        END $$`)
        .execute(db);
    },
  },
]);
