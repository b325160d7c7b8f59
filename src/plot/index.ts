/** Charts rendered headlessly to SVG (Vega-Lite → Vega → SVG). */
export { convergenceSpec, convergenceSvg, writeConvergencePlot } from './convergence';
export type { ConvergenceRun, ConvergenceOptions } from './convergence';
export { renderSvg, writeSvg, lineChartSpec, lineChartSvg, CHART_CONFIG } from './svg';
export type { ChartSpec, LinePoint, LineChartOptions } from './svg';
export { svgToPng, writeChart } from './png';
