//! Results published to citizens (công khai, step 8 of the method): what a ward, commune or
//! department shows without sign-in, the services citizens rate there, the screening of their
//! comments, and the cache every public read is served from. Nothing here names a person, a task
//! or an internal number; `wire.rs` is all a public route ever answers.

pub mod board;
pub mod cache;
pub mod print;
pub mod screen;
pub mod summary;
pub mod wire;

use crate::domain::UnitLevel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use cache::PublicBoards;

/// A public service citizens can rate (a procedure at the one-stop counter).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// Short code for the form and the QR code's link: lowercase letters, digits and `-`.
    pub code: String,
    /// Its name as citizens know it, also the `service` of the rating events it gets.
    pub name: String,
    /// The unit levels that offer it (`ward`, `commune`, `department`, `agency`).
    pub levels: Vec<UnitLevel>,
}

/// The `[public]` table: what citizens can rate and how hard a public route may be pushed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PublicConfig {
    /// The services of the rating form, in its order.
    pub services: Vec<ServiceDef>,
    /// The KPI whose value is the board's on-time rate of dossiers (when it is public): this
    /// code, or a code ending in `.` and it (`PX.TTHC`, `SO-NV.TTHC`: one per kind of unit).
    pub on_time_kpi: String,
    /// Public reads per client address a minute (boards, summaries); 0: no limit.
    pub reads_per_minute: u32,
    /// Ratings per client address an hour, whatever the receipt codes.
    pub ratings_per_address_hour: u32,
    /// Ratings per browser (the device id the form keeps) an hour.
    pub ratings_per_device_hour: u32,
    /// The address citizens reach this server by, for the QR codes (e.g.
    /// `https://congkhai.hanoi.gov.vn`); without it, the address the card was asked at.
    pub base_url: Option<String>,
}

impl Default for PublicConfig {
    fn default() -> Self {
        PublicConfig {
            services: default_services(),
            on_time_kpi: "TTHC".into(),
            reads_per_minute: 600,
            ratings_per_address_hour: 20,
            ratings_per_device_hour: 5,
            base_url: None,
        }
    }
}

impl PublicConfig {
    /// The services a unit of `level` offers, in the form's order.
    pub fn services_at(&self, level: UnitLevel) -> impl Iterator<Item = &ServiceDef> {
        self.services
            .iter()
            .filter(move |s| s.levels.contains(&level))
    }

    pub fn is_on_time_kpi(&self, code: &str) -> bool {
        code == self.on_time_kpi
            || code
                .strip_suffix(self.on_time_kpi.as_str())
                .is_some_and(|head| head.ends_with('.'))
    }

    /// Checks the table as a config file gives it: codes unique and well formed, names present.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.services.iter().enumerate() {
            let ok = !s.code.is_empty()
                && s.code.len() <= 40
                && s.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(format!(
                    "public.services[{i}].code '{}': use 1 to 40 lowercase letters, digits and '-'",
                    s.code
                ));
            }
            if s.name.trim().is_empty() || s.name.chars().count() > 200 {
                return Err(format!(
                    "public.services[{i}].name: give the service's name (at most 200 characters)"
                ));
            }
            if !seen.insert(s.code.as_str()) {
                return Err(format!(
                    "public.services[{i}].code '{}' is listed twice",
                    s.code
                ));
            }
        }
        Ok(())
    }
}

/// The units that have a public board: wards, communes, departments and agencies.
pub fn has_board(level: UnitLevel) -> bool {
    matches!(
        level,
        UnitLevel::Ward | UnitLevel::Commune | UnitLevel::Department | UnitLevel::Agency
    )
}

/// The procedures most asked for at a ward's or department's one-stop counter, so a city that
/// configures nothing still has a form worth printing.
fn default_services() -> Vec<ServiceDef> {
    use UnitLevel::{Agency, Commune, Department, Ward};
    let local = [Ward, Commune];
    let both = [Ward, Commune, Department, Agency];
    let dept = [Department, Agency];
    [
        ("khai-sinh", "Cấp giấy khai sinh", &local[..]),
        ("ket-hon", "Đăng ký kết hôn", &local[..]),
        ("ho-kinh-doanh", "Đăng ký hộ kinh doanh", &local[..]),
        (
            "chung-thuc-ban-sao",
            "Chứng thực bản sao từ bản chính",
            &local[..],
        ),
        ("chung-thuc-chu-ky", "Chứng thực chữ ký", &local[..]),
        ("thuong-tru", "Đăng ký thường trú", &local[..]),
        ("giay-phep-xay-dung", "Cấp giấy phép xây dựng", &both[..]),
        (
            "tinh-trang-hon-nhan",
            "Xác nhận tình trạng hôn nhân",
            &local[..],
        ),
        ("khai-tu", "Đăng ký khai tử", &local[..]),
        (
            "trich-luc-ho-tich",
            "Cấp bản sao trích lục hộ tịch",
            &local[..],
        ),
        ("bien-dong-dat-dai", "Đăng ký biến động đất đai", &both[..]),
        (
            "giay-phep-kinh-doanh",
            "Cấp giấy phép kinh doanh có điều kiện",
            &dept[..],
        ),
        ("ho-so-khac", "Thủ tục hành chính khác", &both[..]),
    ]
    .into_iter()
    .map(|(code, name, levels)| ServiceDef {
        code: code.into(),
        name: name.into(),
        levels: levels.to_vec(),
    })
    .collect()
}
