//! Lists behind a unit board: overdue and due-soon tasks, people, objectives, red KPI series.
