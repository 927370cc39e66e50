// drizzle-kit: npm run exec -- drizzle-kit generate --config server/db/drizzle.sqlite.config.ts
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './server/db/schema.sqlite.ts',
  out: './migrations/sqlite',
});
