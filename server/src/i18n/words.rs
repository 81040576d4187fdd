//! The catalog: every keyed message in English and Vietnamese, grouped by where it is said.
//! `{name}` is a parameter, the same in both wordings (a test holds them to it).

/// (key, English, Vietnamese).
pub(super) const CATALOG: &[(&str, &str, &str)] = &[
    // Who may see what (auth).
    (
        "outside_scope",
        "unit '{unit}' is outside your scope ({scope})",
        "đơn vị '{unit}' nằm ngoài phạm vi của bạn ({scope})",
    ),
];
