// Shared by the test files: the node under test comes from the environment that
// NeonDriverTest (JUnit) sets; the driver is pointed at the node's /sql, as the README shows.
import { neon, neonConfig } from '@neondatabase/serverless';

export const host = '127.0.0.1';
export const port = required('PGDO_PORT');
export const tenant = required('PGDO_TENANT');
export const token = required('PGDO_TOKEN');
export const connectionString = `postgresql://${tenant}:${token}@${host}:${port}/${tenant}`;

neonConfig.fetchEndpoint = (hostname, port) => `http://${hostname}:${port}/sql`;

export const sql = neon(connectionString);

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this through NeonDriverTest`);
  }
  return value;
}

export { neon };
