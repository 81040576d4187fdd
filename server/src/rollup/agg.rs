//! Aggregate counters: what one task, key result, KPI series or rating adds to a unit. All
//! integers, so adding and subtracting contributions in any order is exact.

use crate::domain::{IndexGroup, KpiStatus, Period, Task, TaskStatus, Ts};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TaskAgg {
    pub by_status: [i64; 6],
    pub overdue: i64,
    pub done_on_time: i64,
    pub done_late: i64,
    /// Sum of progress (hundredths of a percent) over tasks that are not cancelled.
    pub progress_sum: i64,
    pub progress_n: i64,
}

impl TaskAgg {
    pub fn of(t: &Task, now: Ts) -> TaskAgg {
        let mut a = TaskAgg::default();
        a.by_status[t.status.index()] = 1;
        if t.status != TaskStatus::Cancelled {
            a.progress_sum = t.progress;
            a.progress_n = 1;
        }
        if t.is_overdue(now) {
            a.overdue = 1;
        }
        if t.status == TaskStatus::Accepted {
            match t.done_at {
                Some(d) if d <= t.deadline => a.done_on_time = 1,
                _ => a.done_late = 1,
            }
        }
        a
    }

    pub fn add(&mut self, o: &TaskAgg, sign: i64) {
        for i in 0..6 {
            self.by_status[i] += sign * o.by_status[i];
        }
        self.overdue += sign * o.overdue;
        self.done_on_time += sign * o.done_on_time;
        self.done_late += sign * o.done_late;
        self.progress_sum += sign * o.progress_sum;
        self.progress_n += sign * o.progress_n;
    }

    pub fn total(&self) -> i64 {
        self.by_status.iter().sum()
    }

    /// Open work: everything not accepted or cancelled.
    pub fn open(&self) -> i64 {
        TaskStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| self.by_status[s.index()])
            .sum()
    }

    pub fn on_time_rate(&self) -> Option<f64> {
        let done = self.done_on_time + self.done_late;
        (done > 0).then(|| self.done_on_time as f64 / done as f64)
    }

    /// Mean progress in percent.
    pub fn avg_progress(&self) -> Option<f64> {
        (self.progress_n > 0).then(|| self.progress_sum as f64 / self.progress_n as f64 / 100.0)
    }
}

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
