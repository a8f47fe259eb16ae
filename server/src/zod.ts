/**
 * zod with the OpenAPI extension (`.openapi(...)`), applied before any schema is built: every gateway module
 * imports `z` from here, never from "zod".
 */
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

extendZodWithOpenApi(z);

export { z };
export type { ZodType, ZodTypeAny } from "zod";
