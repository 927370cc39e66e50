// drizzle-kit: npm run exec -- drizzle-kit generate --config server/db/drizzle.pg.config.ts
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/schema.pg.ts',
  out: './migrations/pg',
});
