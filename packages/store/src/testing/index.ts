export { defaultTestPostgresUrl, findTestPostgres, type TestPostgres } from "./postgres.js";
