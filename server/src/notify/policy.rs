//! How a person wants to be told: which severities go out at once and which wait for the daily
//! digest, quiet hours (Asia/Ho_Chi_Minh, on the server's clock; red may pass), how long to wait
//! for more of a burst before sending (group wait), how often to repeat an unacknowledged red,
//! and when the digest comes. A person's own settings are a patch over their role's defaults
//! (leaders and officials differ), which the `[notify]` config table may change in turn.

use crate::domain::time::DAY;
use crate::domain::Ts;
use crate::i18n::msg;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

/// Where notices of one severity go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Sent after the group wait (quiet hours permitting).
    Immediate,
    /// Kept for the daily digest.
    Digest,
    /// Not sent (the alert center still shows it).
    Off,
}

/// A person's own settings, or a role's defaults in the config: every field optional, those
/// left out come from the role's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    /// Red alerts: immediate, digest or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red: Option<Route>,
    /// Yellow alerts: immediate, digest or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yellow: Option<Route>,
    /// "HH:MM-HH:MM" in Vietnam's time (may cross midnight), or "off".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<String>,
    /// Whether red is sent during quiet hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_bypasses_quiet_hours: Option<bool>,
    /// Seconds to wait after the first notice for more before sending them as one message
    /// (0 to 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait_seconds: Option<u32>,
    /// Minutes between repeats of a red nobody acknowledged (0: never; else 15 to 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_minutes: Option<u32>,
    /// "HH:MM" in Vietnam's time for the daily digest, or "off".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_at: Option<String>,
    /// Whether to be told when an alert ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
}

/// A policy with every value decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub red: Route,
    pub yellow: Route,
    /// Minutes of the day (Vietnam), from and to; `to` may be before `from` (over midnight).
    pub quiet: Option<(u16, u16)>,
    pub red_bypasses_quiet: bool,
    pub group_wait_ms: Ts,
    /// 0: never.
    pub repeat_ms: Ts,
    /// Minute of the day (Vietnam).
    pub digest_at: Option<u16>,
    pub send_resolved: bool,
}

/// Whose defaults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Leads a unit (org tree) or holds the leader role: red at once, yellow in the digest.
    Leader,
    /// Everyone else: told at once about their own work, no digest.
    Official,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Official => "official",
        }
    }

    /// The built-in defaults (README "Notifications").
    pub fn defaults(self) -> Policy {
        let common = Policy {
            red: Route::Immediate,
            yellow: Route::Immediate,
            quiet: Some((22 * 60, 6 * 60 + 30)),
            red_bypasses_quiet: true,
            group_wait_ms: 30_000,
            repeat_ms: 0,
            digest_at: None,
            send_resolved: false,
        };
        match self {
            Role::Leader => Policy {
                yellow: Route::Digest,
                repeat_ms: 4 * 3_600_000,
                digest_at: Some(7 * 60),
                send_resolved: true,
                ..common
            },
            Role::Official => common,
        }
    }
}

const VN_MINUTES: Ts = 7 * 60;

/// The minute of the day in Vietnam at `t`.
pub fn minute_of_day(t: Ts) -> u16 {
    ((t.div_euclid(60_000) + VN_MINUTES).rem_euclid(24 * 60)) as u16
}

/// The start of the Vietnamese day holding `t`.
pub fn day_start(t: Ts) -> Ts {
    let shifted = t + VN_MINUTES * 60_000;
    shifted - shifted.rem_euclid(DAY) - VN_MINUTES * 60_000
}

/// "HH:MM" to minutes of the day.
pub fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub fn format_clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl Policy {
    /// Where a notice of this severity goes; `info` (explanations, reminders) goes at once.
    pub fn route(&self, severity: &str) -> Route {
        match severity {
            "red" => self.red,
            "yellow" => self.yellow,
            _ => Route::Immediate,
        }
    }

    /// Whether `t` lies in the quiet hours.
    pub fn is_quiet(&self, t: Ts) -> bool {
        let Some((from, to)) = self.quiet else {
            return false;
        };
        let m = minute_of_day(t);
        if from <= to {
            from <= m && m < to
        } else {
            m >= from || m < to
        }
    }

    /// Whether a notice of this severity waits at `t` because of quiet hours.
    pub fn holds(&self, severity: &str, t: Ts) -> bool {
        self.is_quiet(t) && !(severity == "red" && self.red_bypasses_quiet)
    }

    /// Today's digest time (server clock) on the Vietnamese day of `t`.
    pub fn digest_time(&self, t: Ts) -> Option<Ts> {
        self.digest_at.map(|m| day_start(t) + Ts::from(m) * 60_000)
    }

    /// `patch` over these defaults, checked: a field that is wrong is named.
    pub fn patched(&self, patch: &PolicyIn, prefix: &str) -> Result<Policy, Invalid> {
        let field = |f: &str| format!("{prefix}{f}");
        let mut p = self.clone();
        if let Some(r) = patch.red {
            p.red = r;
        }
        if let Some(r) = patch.yellow {
            p.yellow = r;
        }
        if let Some(q) = &patch.quiet_hours {
            p.quiet = if q.trim() == "off" {
                None
            } else {
                let window = q
                    .split_once('-')
                    .and_then(|(a, b)| Some((parse_clock(a)?, parse_clock(b)?)))
                    .filter(|(a, b)| a != b)
                    .ok_or_else(|| {
                        Invalid::new(field("quiet_hours"), msg!("notify_quiet_hours", value = q))
                    })?;
                Some(window)
            };
        }
        if let Some(b) = patch.red_bypasses_quiet_hours {
            p.red_bypasses_quiet = b;
        }
        if let Some(s) = patch.group_wait_seconds {
            if s > 3600 {
                return Err(Invalid::new(
                    field("group_wait_seconds"),
                    msg!("notify_between", min = 0i64, max = 3600i64),
                ));
            }
            p.group_wait_ms = Ts::from(s) * 1000;
        }
        if let Some(m) = patch.repeat_minutes {
            if m != 0 && !(15..=10_080).contains(&m) {
                return Err(Invalid::new(
                    field("repeat_minutes"),
                    msg!("notify_repeat_range"),
                ));
            }
            p.repeat_ms = Ts::from(m) * 60_000;
        }
        if let Some(d) = &patch.digest_at {
            p.digest_at = if d.trim() == "off" {
                None
            } else {
                Some(parse_clock(d).ok_or_else(|| {
                    Invalid::new(field("digest_at"), msg!("notify_digest_at", value = d))
                })?)
            };
        }
        if let Some(b) = patch.send_resolved {
            p.send_resolved = b;
        }
        for (name, route) in [("red", p.red), ("yellow", p.yellow)] {
            if route == Route::Digest && p.digest_at.is_none() {
                return Err(Invalid::new(
                    field(name),
                    msg!("notify_no_digest", name = name),
                ));
            }
        }
        Ok(p)
    }

    /// The policy as its settings read (every field given).
    pub fn as_settings(&self) -> PolicyIn {
        PolicyIn {
            red: Some(self.red),
            yellow: Some(self.yellow),
            quiet_hours: Some(match self.quiet {
                Some((a, b)) => format!("{}-{}", format_clock(a), format_clock(b)),
                None => "off".into(),
            }),
            red_bypasses_quiet_hours: Some(self.red_bypasses_quiet),
            group_wait_seconds: Some((self.group_wait_ms / 1000) as u32),
            repeat_minutes: Some((self.repeat_ms / 60_000) as u32),
            digest_at: Some(self.digest_at.map_or_else(|| "off".into(), format_clock)),
            send_resolved: Some(self.send_resolved),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-02T00:00:00+07:00.
    const MIDNIGHT: Ts = 1_793_552_400_000;

    fn at(h: i64, m: i64) -> Ts {
        MIDNIGHT + (h * 60 + m) * 60_000
    }

    #[test]
    fn quiet_hours_cross_midnight_in_vietnam_time_and_red_passes() {
        let p = Role::Leader.defaults();
        assert_eq!(minute_of_day(at(22, 0)), 22 * 60);
        assert!(!p.is_quiet(at(21, 59)));
        assert!(p.is_quiet(at(22, 0)));
        assert!(p.is_quiet(at(3, 0)));
        assert!(p.is_quiet(at(6, 29)));
        assert!(!p.is_quiet(at(6, 30)));
        assert!(p.holds("yellow", at(23, 0)));
        assert!(!p.holds("red", at(23, 0)));
        let strict = p
            .patched(
                &PolicyIn {
                    red_bypasses_quiet_hours: Some(false),
                    ..Default::default()
                },
                "",
            )
            .unwrap();
        assert!(strict.holds("red", at(23, 0)));
        assert_eq!(day_start(at(23, 59)), MIDNIGHT);
        assert_eq!(p.digest_time(at(15, 0)), Some(at(7, 0)));
    }

    #[test]
    fn a_patch_over_the_role_defaults_is_checked_field_by_field() {
        let p = Role::Official.defaults();
        let e = p
            .patched(
                &PolicyIn {
                    quiet_hours: Some("22h-6h".into()),
                    ..Default::default()
                },
                "policy.",
            )
            .unwrap_err();
        assert_eq!(e.field, "policy.quiet_hours");
        let e = p
            .patched(
                &PolicyIn {
                    yellow: Some(Route::Digest),
                    ..Default::default()
                },
                "policy.",
            )
            .unwrap_err();
        assert_eq!(e.field, "policy.yellow");
        let ok = p
            .patched(
                &PolicyIn {
                    yellow: Some(Route::Digest),
                    digest_at: Some("06:45".into()),
                    quiet_hours: Some("off".into()),
                    ..Default::default()
                },
                "",
            )
            .unwrap();
        assert_eq!(ok.digest_at, Some(6 * 60 + 45));
        assert_eq!(ok.quiet, None);
        assert_eq!(ok.as_settings().digest_at.as_deref(), Some("06:45"));
        assert_eq!(ok.route("info"), Route::Immediate);
    }
}
