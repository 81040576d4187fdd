//! The backtest's chart, drawn with plotters as SVG (text stays text; the browser draws it with
//! its own sans-serif): alerts fired per day under the running rules and under the candidate,
//! two lines over the window, so a leader sees where a change would have spoken more or less.

use super::BacktestReport;
use plotters::prelude::*;

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 360;

/// The chart's words in the reader's language (`vi` or `en`).
struct Words {
    title: &'static str,
    running: &'static str,
    candidate: &'static str,
    y: &'static str,
}

fn words(lang: &str) -> Words {
    if lang == "en" {
        Words {
            title: "Alerts fired per day",
            running: "Running rules",
            candidate: "Candidate rules",
            y: "alerts",
        }
    } else {
        Words {
            title: "Số cảnh báo phát ra mỗi ngày",
            running: "Luật đang chạy",
            candidate: "Luật thử nghiệm",
            y: "cảnh báo",
        }
    }
}

/// The SVG of `report`'s days; an error in words when plotters fails.
pub fn svg(report: &BacktestReport, lang: &str) -> Result<String, String> {
    if !crate::i18n::font::ready() {
        return Err("the embedded chart font does not load".into());
    }
    let w = words(lang);
    let running: Vec<f64> = report
        .days
        .iter()
        .map(|d| (d.running_red + d.running_yellow) as f64)
        .collect();
    let candidate: Vec<f64> = report
        .days
        .iter()
        .map(|d| (d.candidate_red + d.candidate_yellow) as f64)
        .collect();
    let top = running
        .iter()
        .chain(&candidate)
        .copied()
        .fold(1.0, f64::max)
        * 1.15;
    let n = report.days.len().max(1);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(w.title, (crate::i18n::font::FAMILY, 20))
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(|e| e.to_string())?;
        let days: Vec<String> = report.days.iter().map(|d| d.day[5..].to_string()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|x| {
                let i = (*x as usize).min(days.len().saturating_sub(1));
                days.get(i).cloned().unwrap_or_default()
            })
            // Whole numbers only: a count axis of "4, 4, 3, 3" reads as a fault.
            .y_labels((top.floor() as usize + 1).min(10))
            .y_desc(w.y)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let grey = RGBColor(120, 120, 120);
        let blue = RGBColor(31, 96, 196);
        for (values, colour, name) in [(&running, grey, w.running), (&candidate, blue, w.candidate)]
        {
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, v)| (i as f64 + 0.5, *v)),
                    colour.stroke_width(3),
                ))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
