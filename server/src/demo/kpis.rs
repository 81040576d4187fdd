//! The demo's KPI catalog: realistic indicator templates in the four index groups, expanded over
//! the city, its departments and its wards and communes, and values drawn to land in a chosen
//! colour band so the boards show a believable mix of green, yellow and red.

use crate::domain::{Frequency, IndexGroup, KpiStatus, Thresholds};
use crate::ingest::catalog::KpiIn;
use rand::Rng;

use Frequency::{Monthly, Quarterly, Weekly, Yearly};
use IndexGroup::{Development, Internal, Party, Service};

/// Which units a template is measured for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// One series for the city (`hn`), led by a department.
    City,
    /// One KPI per department or agency, measured for that unit.
    Dept,
    /// One KPI whose series are every ward and commune.
    Ward,
}

pub struct Template {
    pub key: &'static str,
    pub scope: Scope,
    pub name: &'static str,
    pub formula: &'static str,
    pub source: &'static str,
    pub uom: &'static str,
    pub thresholds: Thresholds,
    pub frequency: Frequency,
    pub group: IndexGroup,
    /// Department code (`hn.<lead>`) that leads it; department-scope KPIs are led by their unit.
    pub lead: &'static str,
    /// Plausible range of values, for drawing observations.
    pub lo: f64,
    pub hi: f64,
    /// Decimals a value is reported with: 0 for counts.
    pub decimals: u8,
}

const fn hib(green: f64, red: f64) -> Thresholds {
    Thresholds::HigherIsBetter { green, red }
}
const fn lib(green: f64, red: f64) -> Thresholds {
    Thresholds::LowerIsBetter { green, red }
}
const fn band(green_low: f64, green_high: f64, red_low: f64, red_high: f64) -> Thresholds {
    Thresholds::InBand {
        green_low,
        green_high,
        red_low,
        red_high,
    }
}

const SRC_MOTCUA: &str = "Hệ thống thông tin giải quyết TTHC Thành phố";
const SRC_TABMIS: &str = "Kho bạc Nhà nước (TABMIS)";
const SRC_QLVB: &str = "Hệ thống quản lý văn bản và điều hành";
const SRC_IHANOI: &str = "Ứng dụng iHanoi";
const SRC_DANG: &str = "Báo cáo của cấp ủy";

#[rustfmt::skip]
pub const TEMPLATES: &[Template] = &[
    // City: one series for Hanoi as a whole.
    Template { key: "GRDP", scope: Scope::City, name: "Tốc độ tăng trưởng GRDP", formula: "(GRDP kỳ báo cáo theo giá so sánh / GRDP cùng kỳ năm trước - 1) × 100", source: "Thống kê Thành phố", uom: "%", thresholds: hib(8.0, 6.5), frequency: Quarterly, group: Development, lead: "so-tc", lo: 4.0, hi: 10.0, decimals: 2 },
    Template { key: "GNDTC", scope: Scope::City, name: "Tỷ lệ giải ngân vốn đầu tư công", formula: "Vốn đã giải ngân / Kế hoạch vốn được giao × 100", source: SRC_TABMIS, uom: "%", thresholds: hib(80.0, 60.0), frequency: Monthly, group: Development, lead: "so-tc", lo: 35.0, hi: 98.0, decimals: 1 },
    Template { key: "THUNS", scope: Scope::City, name: "Tỷ lệ thu ngân sách nhà nước so với dự toán", formula: "Số thu lũy kế / Dự toán được giao × 100", source: SRC_TABMIS, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Development, lead: "so-tc", lo: 70.0, hi: 115.0, decimals: 1 },
    Template { key: "TTHC", scope: Scope::City, name: "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn toàn Thành phố", formula: "Hồ sơ giải quyết đúng hạn / Tổng hồ sơ đã giải quyết × 100", source: SRC_MOTCUA, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Service, lead: "ttphcc", lo: 75.0, hi: 100.0, decimals: 1 },
    Template { key: "PAR", scope: Scope::City, name: "Chỉ số cải cách hành chính (PAR Index)", formula: "Tổng điểm thẩm định theo Bộ chỉ số PAR Index cấp tỉnh", source: "Bộ Nội vụ", uom: "điểm", thresholds: hib(90.0, 85.0), frequency: Yearly, group: Service, lead: "so-nv", lo: 80.0, hi: 95.0, decimals: 2 },
    Template { key: "CPI", scope: Scope::City, name: "Chỉ số giá tiêu dùng (CPI) tăng so với cùng kỳ", formula: "(CPI kỳ báo cáo / CPI cùng kỳ năm trước - 1) × 100", source: "Thống kê Thành phố", uom: "%", thresholds: lib(4.0, 4.5), frequency: Monthly, group: Development, lead: "so-tc", lo: 2.0, hi: 6.0, decimals: 2 },
    Template { key: "DNMOI", scope: Scope::City, name: "Số doanh nghiệp thành lập mới", formula: "Số doanh nghiệp được cấp đăng ký thành lập trong kỳ", source: "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp", uom: "doanh nghiệp", thresholds: hib(3000.0, 2400.0), frequency: Monthly, group: Development, lead: "so-tc", lo: 1800.0, hi: 3800.0, decimals: 0 },
    Template { key: "SIPAS", scope: Scope::City, name: "Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)", formula: "Điểm hài lòng bình quân theo phiếu khảo sát × 100 / điểm tối đa", source: "Khảo sát xã hội học", uom: "%", thresholds: hib(90.0, 80.0), frequency: Yearly, group: Service, lead: "so-nv", lo: 72.0, hi: 97.0, decimals: 1 },
    Template { key: "DVCTT", scope: Scope::City, name: "Tỷ lệ hồ sơ trực tuyến toàn trình", formula: "Hồ sơ nộp trực tuyến toàn trình / Tổng hồ sơ tiếp nhận × 100", source: "Cổng dịch vụ công Thành phố", uom: "%", thresholds: hib(80.0, 60.0), frequency: Monthly, group: Service, lead: "so-khcn", lo: 40.0, hi: 95.0, decimals: 1 },
    Template { key: "AQI", scope: Scope::City, name: "Số ngày chất lượng không khí ở mức kém trở lên (AQI > 150)", formula: "Số ngày có AQI trung bình ngày > 150 tại các trạm quan trắc", source: "Hệ thống quan trắc môi trường tự động", uom: "ngày", thresholds: lib(3.0, 6.0), frequency: Monthly, group: Development, lead: "so-nnmt", lo: 0.0, hi: 12.0, decimals: 0 },
    Template { key: "RAC", scope: Scope::City, name: "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý", formula: "Khối lượng được thu gom, xử lý / Khối lượng phát sinh × 100", source: "Báo cáo của các đơn vị thu gom", uom: "%", thresholds: hib(99.0, 95.0), frequency: Monthly, group: Development, lead: "so-nnmt", lo: 90.0, hi: 100.0, decimals: 1 },
    Template { key: "TNGT", scope: Scope::City, name: "Số vụ tai nạn giao thông", formula: "Số vụ tai nạn giao thông xảy ra trong kỳ", source: "Công an Thành phố", uom: "vụ", thresholds: lib(40.0, 55.0), frequency: Monthly, group: Internal, lead: "ca", lo: 20.0, hi: 75.0, decimals: 0 },
    Template { key: "CHAY", scope: Scope::City, name: "Số vụ cháy trên địa bàn", formula: "Số vụ cháy xảy ra trong kỳ", source: "Công an Thành phố", uom: "vụ", thresholds: lib(30.0, 45.0), frequency: Monthly, group: Internal, lead: "ca", lo: 10.0, hi: 60.0, decimals: 0 },
    Template { key: "KNTD", scope: Scope::City, name: "Số vụ việc khiếu nại tồn đọng, kéo dài", formula: "Số vụ việc quá hạn giải quyết chưa có kết luận", source: "Hệ thống xử lý đơn thư", uom: "vụ", thresholds: lib(5.0, 15.0), frequency: Monthly, group: Internal, lead: "ttra", lo: 0.0, hi: 30.0, decimals: 0 },
    Template { key: "THTS", scope: Scope::City, name: "Tỷ lệ thu hồi tài sản tham nhũng, tiêu cực", formula: "Giá trị tài sản đã thu hồi / Giá trị tài sản phải thu hồi × 100", source: "Thanh tra Thành phố", uom: "%", thresholds: hib(70.0, 50.0), frequency: Yearly, group: Internal, lead: "ttra", lo: 30.0, hi: 90.0, decimals: 1 },
    Template { key: "IHANOI", scope: Scope::City, name: "Tỷ lệ phản ánh trên iHanoi được xử lý đúng hạn", formula: "Phản ánh xử lý đúng hạn / Tổng phản ánh đến hạn × 100", source: SRC_IHANOI, uom: "%", thresholds: hib(90.0, 75.0), frequency: Weekly, group: Internal, lead: "vp-ubnd", lo: 60.0, hi: 100.0, decimals: 1 },
    Template { key: "BHYT", scope: Scope::City, name: "Tỷ lệ dân số tham gia bảo hiểm y tế", formula: "Số người có thẻ BHYT / Dân số trung bình × 100", source: "Bảo hiểm xã hội Thành phố", uom: "%", thresholds: hib(95.0, 92.0), frequency: Quarterly, group: Development, lead: "so-yt", lo: 88.0, hi: 98.0, decimals: 1 },
    Template { key: "TRUONGCQ", scope: Scope::City, name: "Tỷ lệ trường công lập đạt chuẩn quốc gia", formula: "Số trường đạt chuẩn / Tổng số trường công lập × 100", source: "Sở Giáo dục và Đào tạo", uom: "%", thresholds: hib(80.0, 70.0), frequency: Yearly, group: Development, lead: "so-gddt", lo: 60.0, hi: 90.0, decimals: 1 },
    Template { key: "CTX", scope: Scope::City, name: "Tỷ lệ thực hiện dự toán chi thường xuyên so với kế hoạch", formula: "Chi thường xuyên lũy kế / Kế hoạch chi lũy kế đến kỳ × 100", source: SRC_TABMIS, uom: "%", thresholds: band(95.0, 105.0, 90.0, 110.0), frequency: Monthly, group: Internal, lead: "so-tc", lo: 82.0, hi: 118.0, decimals: 1 },
    Template { key: "KNDV", scope: Scope::City, name: "Tỷ lệ kết nạp đảng viên mới so với chỉ tiêu", formula: "Số đảng viên kết nạp / Chỉ tiêu được giao × 100", source: SRC_DANG, uom: "%", thresholds: hib(100.0, 85.0), frequency: Quarterly, group: Party, lead: "so-nv", lo: 60.0, hi: 120.0, decimals: 1 },
    Template { key: "NQ", scope: Scope::City, name: "Tỷ lệ nghị quyết, chỉ thị được quán triệt đúng thời hạn", formula: "Văn bản quán triệt đúng hạn / Văn bản phải quán triệt × 100", source: SRC_DANG, uom: "%", thresholds: hib(100.0, 90.0), frequency: Quarterly, group: Party, lead: "vp-ubnd", lo: 80.0, hi: 100.0, decimals: 1 },

    // Wards and communes: one KPI, a series per ward and commune.
    Template { key: "TTHC", scope: Scope::Ward, name: "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn", formula: "Hồ sơ giải quyết đúng hạn / Tổng hồ sơ đã giải quyết × 100", source: SRC_MOTCUA, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Service, lead: "ttphcc", lo: 72.0, hi: 100.0, decimals: 1 },
    Template { key: "HAILONG", scope: Scope::Ward, name: "Tỷ lệ hài lòng của người dân", formula: "Lượt đánh giá hài lòng và rất hài lòng / Tổng lượt đánh giá × 100", source: "Hệ thống đánh giá tại bộ phận một cửa", uom: "%", thresholds: hib(90.0, 80.0), frequency: Monthly, group: Service, lead: "ttphcc", lo: 70.0, hi: 100.0, decimals: 1 },
    Template { key: "TRUCTUYEN", scope: Scope::Ward, name: "Tỷ lệ hồ sơ nộp trực tuyến", formula: "Hồ sơ nộp trực tuyến / Tổng hồ sơ tiếp nhận × 100", source: "Cổng dịch vụ công Thành phố", uom: "%", thresholds: hib(70.0, 50.0), frequency: Monthly, group: Service, lead: "so-khcn", lo: 30.0, hi: 95.0, decimals: 1 },
    Template { key: "KNTD", scope: Scope::Ward, name: "Số vụ việc khiếu nại tồn đọng", formula: "Số vụ việc quá hạn giải quyết chưa có kết luận", source: "Hệ thống xử lý đơn thư", uom: "vụ", thresholds: lib(0.0, 3.0), frequency: Monthly, group: Internal, lead: "ttra", lo: 0.0, hi: 8.0, decimals: 0 },
    Template { key: "TTXD", scope: Scope::Ward, name: "Số công trình vi phạm trật tự xây dựng phát sinh", formula: "Số công trình vi phạm được phát hiện trong kỳ", source: "Báo cáo của UBND phường, xã", uom: "công trình", thresholds: lib(1.0, 4.0), frequency: Monthly, group: Internal, lead: "so-xd", lo: 0.0, hi: 9.0, decimals: 0 },
    Template { key: "IHANOI", scope: Scope::Ward, name: "Tỷ lệ phản ánh trên iHanoi được xử lý đúng hạn", formula: "Phản ánh xử lý đúng hạn / Tổng phản ánh đến hạn × 100", source: SRC_IHANOI, uom: "%", thresholds: hib(90.0, 75.0), frequency: Weekly, group: Internal, lead: "vp-ubnd", lo: 55.0, hi: 100.0, decimals: 1 },
    Template { key: "DVHTT", scope: Scope::Ward, name: "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", formula: "Đảng viên xếp loại hoàn thành tốt nhiệm vụ trở lên / Tổng đảng viên được đánh giá × 100", source: SRC_DANG, uom: "%", thresholds: hib(90.0, 80.0), frequency: Yearly, group: Party, lead: "so-nv", lo: 70.0, hi: 98.0, decimals: 1 },
    Template { key: "SHCB", scope: Scope::Ward, name: "Tỷ lệ chi bộ tổ chức sinh hoạt định kỳ đúng quy định", formula: "Chi bộ sinh hoạt đúng quy định / Tổng số chi bộ × 100", source: SRC_DANG, uom: "%", thresholds: hib(100.0, 90.0), frequency: Quarterly, group: Party, lead: "so-nv", lo: 80.0, hi: 100.0, decimals: 1 },
    Template { key: "THUNS", scope: Scope::Ward, name: "Tỷ lệ thu ngân sách trên địa bàn so với dự toán", formula: "Số thu lũy kế / Dự toán được giao × 100", source: SRC_TABMIS, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Development, lead: "so-tc", lo: 65.0, hi: 120.0, decimals: 1 },
    Template { key: "GNDTC", scope: Scope::Ward, name: "Tỷ lệ giải ngân vốn đầu tư công", formula: "Vốn đã giải ngân / Kế hoạch vốn được giao × 100", source: SRC_TABMIS, uom: "%", thresholds: hib(80.0, 60.0), frequency: Monthly, group: Development, lead: "so-tc", lo: 30.0, hi: 98.0, decimals: 1 },
    Template { key: "PLRAC", scope: Scope::Ward, name: "Tỷ lệ hộ gia đình phân loại rác tại nguồn", formula: "Hộ thực hiện phân loại / Tổng số hộ × 100", source: "Báo cáo của UBND phường, xã", uom: "%", thresholds: hib(60.0, 40.0), frequency: Quarterly, group: Development, lead: "so-nnmt", lo: 20.0, hi: 85.0, decimals: 1 },
    Template { key: "PPHS", scope: Scope::Ward, name: "Số vụ phạm pháp hình sự", formula: "Số vụ phạm pháp hình sự xảy ra trong kỳ", source: "Công an phường, xã", uom: "vụ", thresholds: lib(3.0, 6.0), frequency: Monthly, group: Internal, lead: "ca", lo: 0.0, hi: 12.0, decimals: 0 },
    Template { key: "CTX", scope: Scope::Ward, name: "Tỷ lệ thực hiện dự toán chi thường xuyên so với kế hoạch", formula: "Chi thường xuyên lũy kế / Kế hoạch chi lũy kế đến kỳ × 100", source: SRC_TABMIS, uom: "%", thresholds: band(95.0, 105.0, 90.0, 110.0), frequency: Monthly, group: Internal, lead: "so-tc", lo: 80.0, hi: 120.0, decimals: 1 },
    Template { key: "VBDH", scope: Scope::Ward, name: "Tỷ lệ văn bản điện tử xử lý đúng hạn", formula: "Văn bản xử lý đúng hạn / Tổng văn bản đến hạn × 100", source: SRC_QLVB, uom: "%", thresholds: hib(95.0, 85.0), frequency: Weekly, group: Service, lead: "vp-ubnd", lo: 70.0, hi: 100.0, decimals: 1 },

    // Departments and agencies: one KPI per unit, measured for the unit itself.
    Template { key: "TTHC", scope: Scope::Dept, name: "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn", formula: "Hồ sơ giải quyết đúng hạn / Tổng hồ sơ đã giải quyết × 100", source: SRC_MOTCUA, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Service, lead: "", lo: 75.0, hi: 100.0, decimals: 1 },
    Template { key: "NVGIAO", scope: Scope::Dept, name: "Tỷ lệ nhiệm vụ UBND Thành phố giao hoàn thành đúng hạn", formula: "Nhiệm vụ hoàn thành đúng hạn / Nhiệm vụ đến hạn × 100", source: SRC_QLVB, uom: "%", thresholds: hib(95.0, 85.0), frequency: Monthly, group: Service, lead: "", lo: 70.0, hi: 100.0, decimals: 1 },
    Template { key: "GNDTC", scope: Scope::Dept, name: "Tỷ lệ giải ngân vốn đầu tư công", formula: "Vốn đã giải ngân / Kế hoạch vốn được giao × 100", source: SRC_TABMIS, uom: "%", thresholds: hib(80.0, 60.0), frequency: Monthly, group: Development, lead: "", lo: 30.0, hi: 98.0, decimals: 1 },
    Template { key: "CTX", scope: Scope::Dept, name: "Tỷ lệ thực hiện dự toán chi thường xuyên so với kế hoạch", formula: "Chi thường xuyên lũy kế / Kế hoạch chi lũy kế đến kỳ × 100", source: SRC_TABMIS, uom: "%", thresholds: band(95.0, 105.0, 90.0, 110.0), frequency: Monthly, group: Internal, lead: "", lo: 82.0, hi: 118.0, decimals: 1 },
    Template { key: "PAR", scope: Scope::Dept, name: "Chỉ số cải cách hành chính (PAR Index)", formula: "Tổng điểm tự đánh giá và thẩm định theo Bộ chỉ số của Thành phố", source: "Sở Nội vụ", uom: "điểm", thresholds: hib(88.0, 80.0), frequency: Yearly, group: Service, lead: "", lo: 72.0, hi: 96.0, decimals: 2 },
    Template { key: "VBDH", scope: Scope::Dept, name: "Tỷ lệ văn bản xử lý đúng hạn trên hệ thống quản lý văn bản", formula: "Văn bản xử lý đúng hạn / Tổng văn bản đến hạn × 100", source: SRC_QLVB, uom: "%", thresholds: hib(95.0, 85.0), frequency: Weekly, group: Service, lead: "", lo: 70.0, hi: 100.0, decimals: 1 },
    Template { key: "DONQH", scope: Scope::Dept, name: "Số đơn thư khiếu nại, tố cáo quá hạn giải quyết", formula: "Số đơn thuộc thẩm quyền đã quá hạn giải quyết", source: "Hệ thống xử lý đơn thư", uom: "đơn", thresholds: lib(0.0, 3.0), frequency: Monthly, group: Internal, lead: "", lo: 0.0, hi: 8.0, decimals: 0 },
    Template { key: "DVHTT", scope: Scope::Dept, name: "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", formula: "Đảng viên xếp loại hoàn thành tốt nhiệm vụ trở lên / Tổng đảng viên được đánh giá × 100", source: SRC_DANG, uom: "%", thresholds: hib(90.0, 80.0), frequency: Yearly, group: Party, lead: "", lo: 70.0, hi: 98.0, decimals: 1 },
];

/// The ward on-time rate's inputs: dossiers settled and settled on time in the month.
pub const DOSSIERS: &str = "HSGQ";
pub const ON_TIME: &str = "HSDH";

/// A count of dossiers: any value is fine (green from 0), it means something through the rate.
const COUNT: Template = Template {
    key: "HS",
    scope: Scope::Ward,
    name: "",
    formula: "Đếm trên hệ thống một cửa",
    source: SRC_MOTCUA,
    uom: "hồ sơ",
    thresholds: hib(0.0, 0.0),
    frequency: Monthly,
    group: Service,
    lead: "ttphcc",
    lo: 40.0,
    hi: 400.0,
    decimals: 0,
};

/// A generated KPI and the template it came from (for drawing values).
pub struct DemoKpi {
    pub kpi: KpiIn,
    pub template: &'static Template,
}

/// Expands the templates over the units, taking from the city, ward and department pools in turn
/// so that a small catalog still holds some of each. `depts` are department codes (`so-tc`),
/// `wards` full unit ids of every ward and commune.
pub fn catalog(depts: &[&str], wards: &[String], max: usize, rng: &mut impl Rng) -> Vec<DemoKpi> {
    let lead_of = |code: &str| -> String {
        let code = if depts.contains(&code) {
            code
        } else {
            depts.first().copied().unwrap_or("")
        };
        if code.is_empty() {
            "hn".to_string()
        } else {
            format!("hn.{code}")
        }
    };
    let mut city = Vec::new();
    let mut ward = Vec::new();
    for t in TEMPLATES {
        match t.scope {
            Scope::City => {
                let lead = lead_of(t.lead);
                let mut coordinating: Vec<String> = Vec::new();
                let others: Vec<&&str> =
                    depts.iter().filter(|d| format!("hn.{d}") != lead).collect();
                for _ in 0..2.min(others.len()) {
                    let c = format!("hn.{}", others[rng.gen_range(0..others.len())]);
                    if !coordinating.contains(&c) {
                        coordinating.push(c);
                    }
                }
                city.push(make(
                    t,
                    format!("TP.{}", t.key),
                    t.name.to_string(),
                    lead,
                    coordinating,
                    vec!["hn".to_string()],
                ));
            }
            Scope::Ward if !wards.is_empty() => {
                let mut k = make(
                    t,
                    format!("PX.{}", t.key),
                    t.name.to_string(),
                    lead_of(t.lead),
                    Vec::new(),
                    wards.to_vec(),
                );
                if t.key == "TTHC" {
                    // The on-time rate is computed from the one-stop counter's two counts, and
                    // the city sees it weighted by each ward's dossiers.
                    for (key, name) in [
                        (DOSSIERS, "Số hồ sơ TTHC đã giải quyết"),
                        (ON_TIME, "Số hồ sơ TTHC giải quyết đúng hạn"),
                    ] {
                        let mut input = make(
                            &COUNT,
                            format!("PX.{key}"),
                            name.to_string(),
                            lead_of(t.lead),
                            Vec::new(),
                            wards.to_vec(),
                        );
                        input.kpi.rollup = Some(crate::domain::aggregate::RollupRule::Sum);
                        ward.push(input);
                    }
                    k.kpi.expression = Some(format!("{{PX.{ON_TIME}}} / {{PX.{DOSSIERS}}} * 100"));
                    k.kpi.rollup = Some(crate::domain::aggregate::RollupRule::WeightedMean {
                        weight: format!("PX.{DOSSIERS}"),
                    });
                }
                ward.push(k);
            }
            _ => {}
        }
    }
    let mut dept = Vec::new();
    for t in TEMPLATES.iter().filter(|t| t.scope == Scope::Dept) {
        for d in depts {
            let code = format!("{}.{}", d.to_uppercase(), t.key);
            dept.push(make(
                t,
                code,
                t.name.to_string(),
                format!("hn.{d}"),
                Vec::new(),
                Vec::new(),
            ));
        }
    }
    let mut pools = [city.into_iter(), ward.into_iter(), dept.into_iter()];
    let mut out = Vec::with_capacity(max);
    while out.len() < max {
        let before = out.len();
        for pool in pools.iter_mut() {
            if out.len() < max {
                out.extend(pool.next());
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

fn make(
    t: &'static Template,
    code: String,
    name: String,
    lead: String,
    coordinating: Vec<String>,
    measured: Vec<String>,
) -> DemoKpi {
    DemoKpi {
        kpi: KpiIn {
            code,
            name,
            formula: t.formula.to_string(),
            data_source: t.source.to_string(),
            unit_of_measure: t.uom.to_string(),
            thresholds: t.thresholds,
            frequency: t.frequency,
            group: t.group,
            leading_unit: lead,
            coordinating_units: coordinating,
            measured_units: measured,
            expression: None,
            rollup: None,
            public: public_in_demo(t),
        },
        template: t,
    }
}

/// The demo city publishes what citizens judge a ward or department by: dossiers on time and
/// online, satisfaction, and the public administration indexes; internal figures stay inside.
fn public_in_demo(t: &Template) -> bool {
    t.group == Service
        && matches!(
            t.key,
            "TTHC" | "HAILONG" | "TRUCTUYEN" | "DVCTT" | "SIPAS" | "PAR"
        )
}

/// The colour a series should show: green 60 %, yellow 25 %, red 15 %.
pub fn pick_status(rng: &mut impl Rng) -> KpiStatus {
    match rng.gen_range(0..100) {
        0..=59 => KpiStatus::Green,
        60..=84 => KpiStatus::Yellow,
        _ => KpiStatus::Red,
    }
}

/// A value of the template's kind that shows `want` under its thresholds (when the bands allow:
/// a yellow band of zero width gives green).
pub fn value_for(t: &Template, want: KpiStatus, rng: &mut impl Rng) -> f64 {
    let mut v = 0.0;
    for _ in 0..8 {
        v = round(draw(t, want, rng), t.decimals);
        if t.thresholds.status(v) == want {
            return v;
        }
    }
    v
}

fn draw(t: &Template, want: KpiStatus, rng: &mut impl Rng) -> f64 {
    let (lo, hi) = (t.lo, t.hi);
    let mut u = |a: f64, b: f64| if b > a { rng.gen_range(a..b) } else { a };
    match (t.thresholds, want) {
        (Thresholds::HigherIsBetter { green, .. }, KpiStatus::Green) => u(green, hi),
        (Thresholds::HigherIsBetter { green, red }, KpiStatus::Yellow) => {
            red + (green - red) * u(0.1, 0.9)
        }
        (Thresholds::HigherIsBetter { green, red }, _) => {
            let floor = lo.min(red - (green - red).max(1.0));
            u(floor, red - 0.01 * (red - floor))
        }
        (Thresholds::LowerIsBetter { green, .. }, KpiStatus::Green) => u(lo.min(green), green),
        (Thresholds::LowerIsBetter { green, red }, KpiStatus::Yellow) => {
            green + (red - green) * u(0.1, 0.9)
        }
        (Thresholds::LowerIsBetter { green, red }, _) => {
            let ceil = hi.max(red + (red - green).max(1.0));
            u(red + 0.1 * (ceil - red), ceil)
        }
        (
            Thresholds::InBand {
                green_low,
                green_high,
                ..
            },
            KpiStatus::Green,
        ) => u(green_low, green_high),
        (
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            },
            KpiStatus::Yellow,
        ) => {
            if u(0.0, 1.0) < 0.5 {
                red_low + (green_low - red_low) * u(0.1, 0.9)
            } else {
                green_high + (red_high - green_high) * u(0.1, 0.9)
            }
        }
        (
            Thresholds::InBand {
                red_low, red_high, ..
            },
            _,
        ) => {
            if u(0.0, 1.0) < 0.5 {
                u(lo.min(red_low - 1.0), red_low - 0.2)
            } else {
                u(red_high + 0.2, hi.max(red_high + 1.0))
            }
        }
    }
}

pub fn round(v: f64, decimals: u8) -> f64 {
    let f = 10f64.powi(i32::from(decimals));
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn templates_have_valid_thresholds_and_ranges() {
        for t in TEMPLATES {
            t.thresholds
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", t.key));
            assert!(t.lo < t.hi, "{}", t.key);
        }
        for g in IndexGroup::ALL {
            assert!(
                TEMPLATES.iter().any(|t| t.group == g),
                "no template in {g:?}"
            );
        }
    }

    #[test]
    fn values_land_in_the_band_asked_for() {
        let mut rng = SmallRng::seed_from_u64(3);
        for t in TEMPLATES {
            for want in [KpiStatus::Green, KpiStatus::Yellow, KpiStatus::Red] {
                let hits = (0..50)
                    .filter(|_| t.thresholds.status(value_for(t, want, &mut rng)) == want)
                    .count();
                assert!(hits >= 45, "{} {want:?}: {hits} of 50", t.key);
                let v = value_for(t, want, &mut rng);
                assert!(v.is_finite() && v >= 0.0, "{} {want:?}: {v}", t.key);
            }
        }
    }

    #[test]
    fn catalog_mixes_the_three_scopes_and_validates() {
        let mut rng = SmallRng::seed_from_u64(5);
        let depts = ["so-nv", "so-tc", "ttphcc"];
        let wards: Vec<String> = vec!["hn.p-a".into(), "hn.x-b".into()];
        let kpis = catalog(&depts, &wards, 16, &mut rng);
        assert_eq!(kpis.len(), 16);
        assert!(kpis.iter().any(|k| k.kpi.code.starts_with("TP.")));
        assert!(kpis.iter().any(|k| k.kpi.code.starts_with("PX.")));
        assert!(kpis.iter().any(|k| k.kpi.code.starts_with("SO-")));
        for k in &kpis {
            k.kpi
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", k.kpi.code));
        }
        let codes: std::collections::HashSet<_> = kpis.iter().map(|k| &k.kpi.code).collect();
        assert_eq!(codes.len(), kpis.len());
    }
}
