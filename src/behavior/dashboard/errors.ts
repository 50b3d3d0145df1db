import { ApError } from "../../core/errors.ts";

/** A failure of the dashboard service: bad argument, port in use, page bundle that does not build. */
export class DashboardError extends ApError {
  override readonly name = "DashboardError";
}
