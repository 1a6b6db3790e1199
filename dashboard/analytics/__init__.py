"""The numbers: KPI metrics, the rollup tables they read, the weekly report and the demo account."""
