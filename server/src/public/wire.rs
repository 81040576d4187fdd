//! What the public routes answer: the board a citizen reads, the services one can rate, a
//! month's summary. Nothing here names a person, a task or an internal number; the leak test
//! (`tests/tests/public.rs`) walks every public route and searches the answers for them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The public board of a ward, commune or department (`GET /public/v1/units/{unit}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicBoard {
    pub unit: PublicUnit,
    /// When the figures were read, RFC 3339 in Vietnam's time.
    pub as_of: String,
    /// The KPIs an admin made public (`public: true`) that are measured for this unit.
    pub kpis: Vec<PublicKpi>,
    pub satisfaction: PublicSatisfaction,
    /// The on-time rate of dossiers (the public KPI whose code is the configured on-time KPI,
    /// `TTHC` by default), when it is public and has a value.
    pub on_time: Option<PublicKpi>,
    /// The newest comments that passed screening (at most 10), newest first.
    pub comments: Vec<PublicComment>,
    /// What can be rated here, in the order the form lists them.
    pub services: Vec<PublicService>,
    /// Closed months with a summary, newest first (`YYYY-MM`), at most 12.
    pub months: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicUnit {
    /// The unit's code in the org tree (e.g. `p-hoan-kiem`): a public name, also in the URL.
    pub id: String,
    pub name: String,
    /// `ward`, `commune` or `department`.
    pub level: String,
    /// The unit above it (e.g. the city), by name.
    pub parent_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicKpi {
    pub code: String,
    pub name: String,
    pub unit_of_measure: String,
    /// The period of the latest value, e.g. `2026-11`, `2026-W48`, `2026-Q4`, `2026`.
    pub period: Option<String>,
    pub value: Option<f64>,
    /// `green`, `yellow`, `red` or `no_data`.
    pub status: String,
    /// The thresholds in words, in the request's language, e.g. "Đạt khi ≥ 95; đỏ khi < 85".
    pub thresholds: String,
    /// Up to the last 6 values, oldest first.
    pub trend: Vec<PublicPeriodValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicPeriodValue {
    pub period: String,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct PublicSatisfaction {
    /// Every rating of this unit, from every channel.
    pub count: i64,
    /// Mean score 1..5, one decimal; none without ratings.
    pub average: Option<f64>,
    /// Share of ratings with 4 or 5 stars, percent, one decimal.
    pub satisfied_percent: Option<f64>,
    /// How many ratings gave 1, 2, 3, 4 and 5 stars.
    pub stars: [i64; 5],
    /// The last 6 months, oldest first (the current month last, so far).
    pub months: Vec<PublicMonth>,
    /// By service, in the order of the service list; services no one rated show count 0.
    pub services: Vec<PublicServiceFigure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub count: i64,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicServiceFigure {
    pub code: String,
    pub name: String,
    pub count: i64,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicComment {
    pub service: String,
    pub score: u8,
    pub comment: String,
    /// RFC 3339, to the minute.
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicService {
    /// Short code used in the rating form and the QR code's link, e.g. `khai-sinh`.
    pub code: String,
    pub name: String,
}

/// A citizen's rating (`POST /public/v1/units/{unit}/ratings`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RatingForm {
    /// A service code from the board's `services`.
    pub service: String,
    /// 1 (rất không hài lòng) to 5 (rất hài lòng).
    pub score: i64,
    /// At most 500 characters; screened before it is shown.
    #[serde(default)]
    pub comment: Option<String>,
    /// The dossier's receipt code (mã biên nhận / mã hồ sơ), when there is one: one rating each.
    #[serde(default)]
    pub receipt: Option<String>,
    /// A random id the page keeps in the browser (not personal data), for per-device limits.
    #[serde(default)]
    pub device: Option<String>,
}

/// The answer to an accepted rating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RatingThanks {
    pub accepted: bool,
    /// "Cảm ơn …", in the request's language.
    pub message: String,
    /// Whether the comment will be shown on the board (false when screening held it back).
    pub comment_shown: bool,
}

/// A unit's month as published at its close (`GET /public/v1/units/{unit}/months/{YYYY-MM}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicMonthSummary {
    pub unit: PublicUnit,
    /// `YYYY-MM`.
    pub month: String,
    /// When it was generated, RFC 3339.
    pub generated_at: String,
    /// Each public KPI's value for the month (monthly KPIs) or its latest value by the month's
    /// end (others), with its status then.
    pub kpis: Vec<PublicKpi>,
    /// Ratings received during the month.
    pub satisfaction: PublicMonthSatisfaction,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct PublicMonthSatisfaction {
    pub count: i64,
    pub average: Option<f64>,
    pub satisfied_percent: Option<f64>,
    pub stars: [i64; 5],
    pub services: Vec<PublicServiceFigure>,
    /// The month before, for comparison.
    pub previous_count: i64,
    pub previous_average: Option<f64>,
}
