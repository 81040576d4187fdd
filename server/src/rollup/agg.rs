//! Aggregate counters: what key results, KPI series and ratings add to a unit, with the tasks'
//! counters (`domain::aggregate::TaskAgg`). All integers, so adding and subtracting
//! contributions in any order is exact.

pub use crate::domain::aggregate::TaskAgg;
use crate::domain::{IndexGroup, KpiStatus, Period};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrPeriodAgg {
    pub period: Period,
    pub count: i64,
    pub progress_ppm_sum: i64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnitAgg {
    pub tasks: TaskAgg,
    /// KPI series counts: `[index group][green, yellow, red, no data]`.
    pub kpi: [[i64; 4]; 4],
    /// Key results by period (few per unit), sorted by period.
    pub kr: Vec<KrPeriodAgg>,
    pub ratings: i64,
    pub rating_sum: i64,
    pub people: i64,
}

impl UnitAgg {
    pub fn add_kr(&mut self, period: &Period, count: i64, ppm: i64) {
        match self.kr.binary_search_by(|k| k.period.cmp(period)) {
            Ok(i) => {
                self.kr[i].count += count;
                self.kr[i].progress_ppm_sum += ppm;
                if self.kr[i].count == 0 {
                    self.kr.remove(i);
                }
            }
            Err(i) => self.kr.insert(
                i,
                KrPeriodAgg {
                    period: period.clone(),
                    count,
                    progress_ppm_sum: ppm,
                },
            ),
        }
    }

    pub fn add(&mut self, o: &UnitAgg, sign: i64) {
        self.tasks.add(&o.tasks, sign);
        for g in 0..4 {
            for s in 0..4 {
                self.kpi[g][s] += sign * o.kpi[g][s];
            }
        }
        for k in &o.kr {
            self.add_kr(&k.period, sign * k.count, sign * k.progress_ppm_sum);
        }
        self.ratings += sign * o.ratings;
        self.rating_sum += sign * o.rating_sum;
        self.people += sign * o.people;
    }

    pub fn kpi_count(&self, group: IndexGroup, status: KpiStatus) -> i64 {
        self.kpi[group.index()][status.index()]
    }

    pub fn satisfaction(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.rating_sum as f64 / self.ratings as f64)
    }
}
