//! Pure alert-rule library: filled in by the alert-rules issue.
