//! The review's charts, drawn with plotters from the `Review` itself (so a chart never says
//! something the JSON does not): the overdue trend over both periods, KPI series by status in
//! the period before and this one, the key results furthest behind pace, and the child units'
//! scores.
//!
//! The same drawing code feeds an SVG backend (text stays text, for the page) and a bitmap
//! backend encoded to PNG (for download). Text in the bitmap is rasterised by `ab_glyph` from
//! DejaVu Sans, embedded in the binary (`assets/fonts/`, covers Vietnamese), so a server without
//! fonts installed still writes "Quá hạn" with its diacritics. Drawing is CPU work: callers run
//! `render` on a blocking thread.

use super::lang::{kind_index, labels, Labels, Lang};
use super::review::{Review, UnitLine};
use super::ReportError;
use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;
const FONT: &str = crate::i18n::font::FAMILY;

/// Key results and units a chart shows at most.
const ROWS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Overdue,
    Kpis,
    KeyResults,
    Units,
}

impl Chart {
    pub const ALL: [Chart; 4] = [Chart::Overdue, Chart::Kpis, Chart::KeyResults, Chart::Units];

    pub fn name(self) -> &'static str {
        match self {
            Chart::Overdue => "overdue",
            Chart::Kpis => "kpis",
            Chart::KeyResults => "key_results",
            Chart::Units => "units",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
        }
    }
}

/// `overdue.svg` -> (Overdue, Svg); None for anything else.
pub fn parse_file(file: &str) -> Option<(Chart, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let chart = match name {
        "overdue" => Chart::Overdue,
        "kpis" => Chart::Kpis,
        "key_results" => Chart::KeyResults,
        "units" => Chart::Units,
        _ => return None,
    };
    let format = match ext {
        "svg" => Format::Svg,
        "png" => Format::Png,
        _ => return None,
    };
    Some((chart, format))
}

const GREEN_C: RGBColor = RGBColor(46, 160, 67);
const YELLOW_C: RGBColor = RGBColor(222, 165, 0);
const RED_C: RGBColor = RGBColor(210, 45, 39);
const GREY_C: RGBColor = RGBColor(150, 150, 150);
const LIGHT_C: RGBColor = RGBColor(215, 215, 215);
const INK: RGBColor = RGBColor(33, 37, 41);

/// The embedded font, registered once per process; one that does not load is a build defect.
fn font_ready() -> Result<(), ReportError> {
    if crate::i18n::font::ready() {
        Ok(())
    } else {
        Err(ReportError::Internal(
            "the embedded chart font does not load".into(),
        ))
    }
}

/// Draws one chart of a review in SVG or PNG (WIDTH x HEIGHT).
pub fn render(
    review: &Review,
    chart: Chart,
    format: Format,
    lang: Lang,
) -> Result<Vec<u8>, ReportError> {
    font_ready()?;
    let l = labels(lang);
    let failed = |e: String| ReportError::Internal(format!("drawing the chart failed: {e}"));
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                draw(&root, review, chart, l).map_err(|e| failed(e.to_string()))?;
                root.present().map_err(|e| failed(e.to_string()))?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            {
                let root =
                    BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
                draw(&root, review, chart, l).map_err(|e| failed(e.to_string()))?;
                root.present().map_err(|e| failed(e.to_string()))?;
            }
            let mut png = Vec::with_capacity(64 * 1024);
            image::codecs::png::PngEncoder::new(&mut png)
                .write_image(&rgb, WIDTH, HEIGHT, image::ColorType::Rgb8)
                .map_err(|e| failed(e.to_string()))?;
            Ok(png)
        }
    }
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Review,
    chart: Chart,
    l: &Labels,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    match chart {
        Chart::Overdue => overdue(root, r, l),
        Chart::Kpis => kpis(root, r, l),
        Chart::KeyResults => key_results(root, r, l),
        Chart::Units => units(root, r, l),
    }
}

fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&INK)
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

fn caption(title: &str, r: &Review) -> String {
    format!("{title} · {} · {}", r.unit.name, r.period)
}

fn this_label(l: &Labels, r: &Review) -> &'static str {
    l.this[kind_index(r.kind)]
}

fn last_label(l: &Labels, r: &Review) -> &'static str {
    l.last[kind_index(r.kind)]
}

/// At most `n` characters, an ellipsis marking the cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

fn no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    l: &Labels,
) -> Drawn<DB> {
    root.draw(&Text::new(
        title.to_string(),
        (WIDTH as i32 / 2, 24),
        anchored(22, HPos::Center, VPos::Top),
    ))?;
    root.draw(&Text::new(
        l.no_data.to_string(),
        (WIDTH as i32 / 2, HEIGHT as i32 / 2),
        anchored(18, HPos::Center, VPos::Center).color(&GREY_C),
    ))
}

type CountChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart of counts: a captioned plot over `x` (the chart draws its own x labels) and 0..`top`,
/// with horizontal grid lines and whole-number y labels named `y_desc`.
fn count_axes<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    x: std::ops::Range<f64>,
    top: f64,
    x_label_area: u32,
    y_desc: &str,
) -> Result<CountChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, text(22))
        .margin(20)
        .x_label_area_size(x_label_area)
        .y_label_area_size(64)
        .build_cartesian_2d(x, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(y_desc)
        .label_style(text(14))
        .axis_desc_style(text(14))
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    Ok(chart)
}

/// Overdue work at each day's end over both periods: the period before grey, this one red.
/// Two weeks get a weekday and a date under every day and the count over every point; longer
/// periods a date every week or so.
fn overdue<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Review, l: &Labels) -> Drawn<DB> {
    let pts = &r.overdue_trend;
    let n = pts.len().max(1);
    let dense = n > 16;
    let top = pts.iter().map(|p| p.overdue).max().unwrap_or(0).max(4) as f64 * 1.2;
    let mut chart = count_axes(
        root,
        caption(l.overdue_title, r),
        -0.5..(n as f64 - 0.5),
        top,
        if dense { 30 } else { 48 },
        l.overdue,
    )?;
    // The first day of this period.
    if let Some(first) = pts.iter().position(|p| p.period == "this") {
        let x = first as f64 - 0.5;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, 0.0), (x, top)],
            LIGHT_C.stroke_width(2),
        )))?;
    }
    let xy = |period: &str| {
        pts.iter()
            .enumerate()
            .filter(move |(_, p)| p.period == period)
            .map(|(i, p)| (i as f64, p.overdue as f64))
            .collect::<Vec<_>>()
    };
    let (width, dot) = if dense { (2, 2) } else { (3, 4) };
    for (period, colour, label) in [
        ("last", GREY_C, last_label(l, r)),
        ("this", RED_C, this_label(l, r)),
    ] {
        let points = xy(period);
        chart
            .draw_series(
                LineSeries::new(points.clone(), colour.stroke_width(width)).point_size(dot),
            )?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        if !dense {
            chart.draw_series(points.iter().map(|&(x, y)| {
                EmptyElement::at((x, y))
                    + Text::new(
                        format!("{y:.0}"),
                        (0, -8),
                        anchored(12, HPos::Center, VPos::Bottom),
                    )
            }))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(text(14))
        .background_style(WHITE.mix(0.85))
        .border_style(LIGHT_C)
        .draw()?;
    // Under the days: every day for two weeks, else about a dozen dates.
    let every = if dense { n.div_ceil(12) } else { 1 };
    for (i, p) in pts.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let (x, y) = chart.backend_coord(&(i as f64, 0.0));
        let date = format!(
            "{}/{}",
            p.day.get(8..10).unwrap_or(""),
            p.day.get(5..7).unwrap_or("")
        );
        if !dense {
            root.draw(&Text::new(
                l.weekdays[weekday(&p.day)].to_string(),
                (x, y + 8),
                anchored(13, HPos::Center, VPos::Top),
            ))?;
        }
        root.draw(&Text::new(
            date,
            (x, y + if dense { 8 } else { 26 }),
            anchored(12, HPos::Center, VPos::Top).color(&GREY_C),
        ))?;
    }
    Ok(())
}

/// Monday 0 to Sunday 6 of a `YYYY-MM-DD` date (0 for anything else).
fn weekday(day: &str) -> usize {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| d.weekday().num_days_from_monday() as usize)
        .unwrap_or(0)
}

/// KPI series by status at the end of the period before (pale) and of this one (solid).
fn kpis<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Review, l: &Labels) -> Drawn<DB> {
    // A period without any KPI value draws no bars: nothing to compare, not zeros.
    let row = |k: &Option<crate::rollup::view::KpiCounts>| {
        k.as_ref()
            .map_or([0; 4], |k| [k.green, k.yellow, k.red, k.no_data])
    };
    let last = row(&r.figures.last.kpis);
    let this = row(&r.figures.this.kpis);
    let top = last.iter().chain(&this).copied().max().unwrap_or(0).max(4) as f64 * 1.2;
    let colours = [GREEN_C, YELLOW_C, RED_C, GREY_C];
    let mut chart = count_axes(root, caption(l.kpis_title, r), -0.6..3.6, top, 40, l.series)?;
    for (week, values, pale, x0, x1) in [
        (last_label(l, r), last, true, -0.38, -0.02),
        (this_label(l, r), this, false, 0.02, 0.38),
    ] {
        let fill = move |c: RGBColor| {
            if pale {
                c.mix(0.35).filled()
            } else {
                c.filled()
            }
        };
        chart
            .draw_series((0..4).map(|s| {
                Rectangle::new(
                    [(s as f64 + x0, 0.0), (s as f64 + x1, values[s] as f64)],
                    fill(colours[s]),
                )
            }))?
            .label(week)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], fill(INK)));
        chart.draw_series((0..4).map(|s| {
            EmptyElement::at(((x0 + x1) / 2.0 + s as f64, values[s] as f64))
                + Text::new(
                    values[s].to_string(),
                    (0, -4),
                    anchored(14, HPos::Center, VPos::Bottom),
                )
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(text(14))
        .background_style(WHITE.mix(0.85))
        .border_style(LIGHT_C)
        .draw()?;
    for (s, name) in l.statuses.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(s as f64, 0.0));
        root.draw(&Text::new(
            name.to_string(),
            (x, y + 10),
            anchored(15, HPos::Center, VPos::Top),
        ))?;
    }
    Ok(())
}

/// Colour of a pace gap: on pace green, a little behind yellow, more than 10 points red.
fn pace_colour(gap: f64) -> RGBColor {
    if gap >= 0.0 {
        GREEN_C
    } else if gap >= -0.1 {
        YELLOW_C
    } else {
        RED_C
    }
}

/// The bar charts' scale runs past 100 to leave room for the value labels and the legend.
const XMAX: f64 = 135.0;

/// Horizontal bars on a 0..100 scale, one row per item from the top, labels on the left.
struct Rows<'a> {
    title: &'a str,
    x_desc: &'a str,
    /// (label, sub-label, this week, last week, colour this week, marker)
    rows: Vec<(String, String, f64, f64, RGBColor, Option<f64>)>,
    /// Draw a divider above this row (top units / bottom units).
    divider: Option<usize>,
    value_label: fn(f64, f64) -> String,
    marker_label: Option<&'a str>,
    this_week: &'a str,
    last_week: &'a str,
}

fn rows<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Review,
    spec: Rows<'_>,
) -> Drawn<DB> {
    let n = spec.rows.len();
    let mut chart = ChartBuilder::on(root)
        .caption(caption(spec.title, r), text(22))
        .margin(20)
        .set_label_area_size(LabelAreaPosition::Left, 330)
        .set_label_area_size(LabelAreaPosition::Bottom, 44)
        .build_cartesian_2d(0f64..XMAX, -0.5f64..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(14)
        .x_label_formatter(&|v| {
            if *v <= 100.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .x_desc(spec.x_desc)
        .label_style(text(13))
        .axis_desc_style(text(14))
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    let y_of = |i: usize| (n - 1 - i) as f64;
    chart
        .draw_series(spec.rows.iter().enumerate().map(|(i, row)| {
            let y = y_of(i);
            Rectangle::new([(0.0, y - 0.05), (row.2, y + 0.32)], row.4.filled())
        }))?
        .label(spec.this_week)
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], INK.filled()));
    chart
        .draw_series(spec.rows.iter().enumerate().map(|(i, row)| {
            let y = y_of(i);
            Rectangle::new([(0.0, y - 0.32), (row.3, y - 0.12)], LIGHT_C.filled())
        }))?
        .label(spec.last_week)
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], LIGHT_C.filled()));
    if let Some(marker) = spec.marker_label {
        chart
            .draw_series(spec.rows.iter().enumerate().filter_map(|(i, row)| {
                let y = y_of(i);
                row.5.map(|m| {
                    PathElement::new(vec![(m, y - 0.42), (m, y + 0.42)], INK.stroke_width(3))
                })
            }))?
            .label(marker)
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 8, y - 8), (x + 8, y + 8)], INK.stroke_width(3))
            });
    }
    chart.draw_series(spec.rows.iter().enumerate().map(|(i, row)| {
        EmptyElement::at((row.2.max(row.5.unwrap_or(0.0)), y_of(i) + 0.14))
            + Text::new(
                (spec.value_label)(row.2, row.3),
                (8, 0),
                anchored(13, HPos::Left, VPos::Center),
            )
    }))?;
    if let Some(d) = spec.divider.filter(|d| *d > 0 && *d < n) {
        let y = y_of(d) + 0.5;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, y), (XMAX, y)],
            GREY_C.stroke_width(1),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(text(13))
        .background_style(WHITE.mix(0.9))
        .border_style(LIGHT_C)
        .draw()?;
    for (i, row) in spec.rows.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, y_of(i)));
        root.draw(&Text::new(
            row.0.clone(),
            (x - 10, y - 9),
            anchored(14, HPos::Right, VPos::Center),
        ))?;
        root.draw(&Text::new(
            row.1.clone(),
            (x - 10, y + 9),
            anchored(12, HPos::Right, VPos::Center).color(&GREY_C),
        ))?;
    }
    Ok(())
}

/// The key results furthest behind pace: progress bars, last week's under them, the pace mark.
fn key_results<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Review,
    l: &Labels,
) -> Drawn<DB> {
    if r.key_results.is_empty() {
        return no_data(root, &caption(l.key_results_title, r), l);
    }
    let spec = Rows {
        title: l.key_results_title,
        x_desc: l.progress,
        rows: r
            .key_results
            .iter()
            .take(ROWS)
            .map(|k| {
                (
                    clip(&k.title, 38),
                    clip(&format!("{} · {}", k.unit.name, k.period), 44),
                    k.progress * 100.0,
                    k.progress_last_week * 100.0,
                    pace_colour(k.pace_gap),
                    Some(k.expected * 100.0),
                )
            })
            .collect(),
        divider: None,
        value_label: |this, _| format!("{this:.0}%"),
        marker_label: Some(l.expected),
        this_week: l.progress,
        last_week: last_label(l, r),
    };
    rows(root, r, spec)
}

fn band_colour(line: &UnitLine) -> RGBColor {
    match line.score.band {
        crate::domain::KpiStatus::Green => GREEN_C,
        crate::domain::KpiStatus::Yellow => YELLOW_C,
        crate::domain::KpiStatus::Red => RED_C,
        crate::domain::KpiStatus::NoData => GREY_C,
    }
}

/// The best and the worst child units: this week's score coloured by band, last week's under it.
fn units<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Review, l: &Labels) -> Drawn<DB> {
    let mut lines: Vec<&UnitLine> = r.top.iter().take(ROWS / 2).collect();
    let divider = lines.len();
    // Bottom is worst first; shown under the top units in score order, worst last.
    lines.extend(r.bottom.iter().take(ROWS / 2).rev());
    if lines.is_empty() {
        return no_data(root, &caption(l.units_title, r), l);
    }
    let spec = Rows {
        title: l.units_title,
        x_desc: l.score,
        rows: lines
            .iter()
            .map(|u| {
                (
                    clip(&u.unit.name, 38),
                    u.unit.id.clone(),
                    u.score.value.unwrap_or(0.0),
                    u.score_last_week.value.unwrap_or(0.0),
                    band_colour(u),
                    None,
                )
            })
            .collect(),
        divider: Some(divider),
        value_label: |this, last| {
            let d = this - last;
            format!("{this:.1} ({}{d:.1})", if d >= 0.0 { "+" } else { "" })
        },
        marker_label: None,
        this_week: this_label(l, r),
        last_week: last_label(l, r),
    };
    rows(root, r, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_files_name_a_chart_and_a_format() {
        assert_eq!(
            parse_file("overdue.svg"),
            Some((Chart::Overdue, Format::Svg))
        );
        assert_eq!(
            parse_file("key_results.png"),
            Some((Chart::KeyResults, Format::Png))
        );
        assert_eq!(parse_file("units.gif"), None);
        assert_eq!(parse_file("pie.svg"), None);
        assert_eq!(parse_file("overdue"), None);
    }

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("Phường Hoàn Kiếm", 16), "Phường Hoàn Kiếm");
        assert_eq!(clip("Phường Hoàn Kiếm", 8), "Phường …");
    }
}
