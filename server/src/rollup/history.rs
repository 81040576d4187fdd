//! Reads of the rollup for history: the tasks of a subtree as they stand, from which the review
//! rebuilds a past day's figures.
