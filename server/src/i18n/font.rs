//! The font charts are drawn with: DejaVu Sans, embedded in the binary (`assets/fonts/`, covers
//! Vietnamese), registered with plotters under the family name the charts ask for, so a server
//! without fonts installed still measures and writes "Quá hạn" with its diacritics. Browsers draw
//! an SVG chart's text with their own sans-serif of the same name.

use plotters::style::{register_font, FontStyle};
use std::sync::OnceLock;

pub const FAMILY: &str = "sans-serif";
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the font once per process; false when it does not load (a build defect).
pub fn ready() -> bool {
    static LOADED: OnceLock<bool> = OnceLock::new();
    *LOADED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok())
}
