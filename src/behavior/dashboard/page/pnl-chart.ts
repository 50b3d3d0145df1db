import uPlot from "uplot";
import type { PnlSeries } from "./dashboard-state.ts";

/**
 * The P&L line, drawn by uPlot. The series stays bigint (USD e8) in the state; this is the display step, the one
 * place a P&L value becomes a float (a pixel position needs one).
 */
export class PnlChart {
  private plot: uPlot | undefined;
  private drawn = -1;

  constructor(private readonly el: HTMLElement) {}

  update(series: PnlSeries): void {
    if (series.atMs.length === this.drawn) return;
    this.drawn = series.atMs.length;
    const xs = series.atMs.map((ms) => ms / 1000);
    const ys = series.pnlE8.map((v) => Number(v) / 1e8);
    if (this.plot === undefined) {
      this.plot = new uPlot(
        {
          width: Math.max(300, this.el.clientWidth - 10),
          height: 180,
          legend: { show: false },
          series: [{}, { label: "P&L USD", stroke: "#2fbf71", width: 1.5 }],
          axes: [
            { stroke: "#7d8793", grid: { stroke: "#2a3038" } },
            { stroke: "#7d8793", grid: { stroke: "#2a3038" }, size: 70 },
          ],
        },
        [xs, ys],
        this.el,
      );
    } else {
      this.plot.setData([xs, ys]);
    }
  }
}
