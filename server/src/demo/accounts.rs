//! The demo's accounts: one or more per level, with a published password (README).

use crate::domain::Id;

/// The demo accounts' password (demo only: README says so).
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// A demo account as the sign-in page lists it (the password is `DEMO_PASSWORD` for all).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, PartialEq)]
pub struct DemoAccount {
    pub login: String,
    pub role: crate::auth::Role,
    pub unit: String,
    pub unit_name: String,
    /// The person the account acts as, if it is linked to one.
    pub person: Option<String>,
}

/// Creates the demo's accounts, one or more per level (README, "Demo accounts"), when they do
/// not exist yet: the city's leader and a viewer; the first department's leader; the first
/// ward's leader, data entry and viewer; and an official of that ward who has tasks. Returns
/// every demo account, made now or before.
pub async fn create_accounts(node: &crate::Node) -> anyhow::Result<Vec<DemoAccount>> {
    use crate::auth::{Account, Grant, Role};
    use crate::domain::UnitLevel;
    let units = node.rollup.units();
    let first = |level: UnitLevel| {
        units
            .iter()
            .filter(|u| u.level == level && u.parent.is_some())
            .min_by(|a, b| a.id.cmp(&b.id))
    };
    let Some(root) = units.iter().find(|u| u.parent.is_none()) else {
        return Ok(Vec::new());
    };
    let mut plan: Vec<(&str, String, Option<Id>, Role, &Id)> = vec![
        (
            "city-leader",
            format!("Lãnh đạo {}", root.name),
            root.leader.clone(),
            Role::Leader,
            &root.id,
        ),
        (
            "city-viewer",
            format!("Theo dõi {}", root.name),
            None,
            Role::Viewer,
            &root.id,
        ),
    ];
    if let Some(d) = first(UnitLevel::Department) {
        plan.push((
            "dept-leader",
            format!("Lãnh đạo {}", d.name),
            d.leader.clone(),
            Role::Leader,
            &d.id,
        ));
    }
    let ward = first(UnitLevel::Ward);
    if let Some(w) = ward {
        plan.push((
            "ward-leader",
            format!("Lãnh đạo {}", w.name),
            w.leader.clone(),
            Role::Leader,
            &w.id,
        ));
        plan.push((
            "ward-data",
            format!("Nhập liệu {}", w.name),
            None,
            Role::DataEntry,
            &w.id,
        ));
        plan.push((
            "ward-viewer",
            format!("Theo dõi {}", w.name),
            None,
            Role::Viewer,
            &w.id,
        ));
    }
    // An official with work of their own: the responsible person of the ward's first task.
    let official = ward.and_then(|w| {
        let soon = crate::rollup::lists::Due::Soon(365 * crate::domain::time::DAY);
        node.rollup
            .unit_tasks(&w.id, soon, 1)?
            .tasks
            .first()
            .map(|t| {
                (
                    t.responsible.id.clone(),
                    t.responsible.name.clone(),
                    w.id.clone(),
                )
            })
    });
    let official_unit;
    if let Some((person, name, unit)) = official {
        official_unit = unit;
        plan.push((
            "ward-official",
            name,
            Some(person.into()),
            Role::Viewer,
            &official_unit,
        ));
    }
    let hash =
        tokio::task::spawn_blocking(|| crate::auth::secret::hash_password(DEMO_PASSWORD)).await?;
    let mut listed = Vec::new();
    for (id, name, person, role, unit) in plan {
        listed.push(DemoAccount {
            login: id.to_string(),
            role,
            unit: unit.to_string(),
            unit_name: node.rollup.unit(unit).map(|u| u.name).unwrap_or_default(),
            person: person.as_ref().map(|p| p.to_string()),
        });
        if node.auth.account(id).is_some() {
            continue;
        }
        let account = Account {
            id: id.into(),
            name,
            person,
            password_hash: hash.clone(),
            must_change_password: false,
            disabled: false,
            created_at: crate::domain::time::now_ms(),
            grants: vec![Grant {
                role,
                unit: unit.to_string(),
            }],
        };
        crate::ingest::accounts::put_system_account(&node.writer, account, "demo").await?;
    }
    Ok(listed)
}
