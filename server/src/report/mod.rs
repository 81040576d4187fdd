//! Review reports: a unit's week against the week before, rebuilt from what the store and the
//! rollup hold, and the charts drawn for them with plotters.
