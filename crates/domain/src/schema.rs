//! The organisation (R1) described as data: which records exist, their fields, labels,
//! limits, filters and who may see them. Validation, SQL, forms, the JSON API and the OpenAPI
//! document are all derived from these tables.

/// The organisation records of R1. Use the glossary's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Res {
    Committee,
    Term,
    Sector,
    SpecialCommittee,
    Member,
    Studio,
    HandlingUnit,
    EmployerContact,
    ConcernCategory,
    RoutingRule,
    ReceptionSlot,
    ServiceOffer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text {
        max: usize,
        multiline: bool,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Date,
    /// A time of day, `HH:MM`.
    Time,
    /// One of fixed codes; each with its Chinese label. Input may give either.
    Choice(&'static [(&'static str, &'static str)]),
    /// The id of another record of the same committee.
    Ref(Res),
    /// Several ids, kept in a link table `(owner_col, target_col)`.
    RefMany {
        target: Res,
        link_table: &'static str,
        owner_col: &'static str,
        target_col: &'static str,
    },
    /// A phone number: stored encrypted with a blind index, shown masked.
    Phone,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Offered as a list filter (`?name=value`).
    pub filter: bool,
    /// Shown on public pages and to anonymous API clients.
    pub public: bool,
    /// Shown as a column in list pages.
    pub list: bool,
}

const fn f(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        filter: false,
        public: false,
        list: false,
    }
}
impl Field {
    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn filter(mut self) -> Self {
        self.filter = true;
        self
    }
    const fn public(mut self) -> Self {
        self.public = true;
        self
    }
    const fn list(mut self) -> Self {
        self.list = true;
        self
    }
}

const fn text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
    }
}
const fn long(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: true,
    }
}

pub const LEVELS: &[(&str, &str)] = &[
    ("national", "全国"),
    ("province", "省级"),
    ("city", "市级"),
    ("county", "县级"),
];
pub const GENDERS: &[(&str, &str)] = &[("male", "男"), ("female", "女")];
pub const MEMBER_STATUS: &[(&str, &str)] = &[
    ("active", "在任"),
    ("suspended", "暂停履职"),
    ("left", "已离任"),
];
pub const SECTOR_GROUPS: &[(&str, &str)] = &[
    ("party", "党派"),
    ("people_organisation", "人民团体"),
    ("profession", "界别"),
    ("special", "特邀"),
    ("local", "本地界别"),
];

#[derive(Debug)]
pub struct Resource {
    pub res: Res,
    /// Table name in the database and path segment in URLs (`/api/v1/{path}`).
    pub table: &'static str,
    pub path: &'static str,
    pub label: &'static str,
    pub fields: &'static [Field],
    /// The column that says which committee owns a row: every query is scoped by it.
    pub scope_col: &'static str,
    /// Columns searched by `?q=` (substring match, works for Chinese).
    pub search_cols: &'static [&'static str],
    pub order_by: &'static str,
    /// Visible to people without an account (public pages and API).
    pub public: bool,
}

pub static COMMITTEE: Resource = Resource {
    res: Res::Committee,
    table: "committees",
    path: "committees",
    label: "政协组织",
    fields: &[
        f("name", "名称", text(100)).req().list().public(),
        f("level", "层级", Kind::Choice(LEVELS))
            .req()
            .list()
            .filter()
            .public(),
        f("region", "行政区域", text(50)).list().public(),
    ],
    // A committee's sub-committees (city → county) belong to it.
    scope_col: "parent_id",
    search_cols: &["name"],
    order_by: "id",
    public: false,
};

pub static TERM: Resource = Resource {
    res: Res::Term,
    table: "terms",
    path: "terms",
    label: "届次",
    fields: &[
        f("name", "名称", text(50)).req().list(),
        f("number", "届数", Kind::Int { min: 1, max: 100 })
            .req()
            .list(),
        f("starts_on", "开始日期", Kind::Date).req().list(),
        f("ends_on", "结束日期", Kind::Date).list(),
        f("is_current", "本届", Kind::Bool).list().filter(),
    ],
    scope_col: "committee_id",
    search_cols: &["name"],
    order_by: "number DESC",
    public: false,
};

pub static SECTOR: Resource = Resource {
    res: Res::Sector,
    table: "sectors",
    path: "sectors",
    label: "界别",
    fields: &[
        f("name", "名称", text(50)).req().list().public(),
        f("sector_group", "类别", Kind::Choice(SECTOR_GROUPS))
            .req()
            .list()
            .filter()
            .public(),
        f(
            "sort_order",
            "排序",
            Kind::Int {
                min: 0,
                max: 10_000,
            },
        )
        .list()
        .public(),
    ],
    scope_col: "committee_id",
    search_cols: &["name"],
    order_by: "sort_order, id",
    public: true,
};

pub static SPECIAL_COMMITTEE: Resource = Resource {
    res: Res::SpecialCommittee,
    table: "special_committees",
    path: "special-committees",
    label: "专门委员会",
    fields: &[
        f("name", "名称", text(60)).req().list().public(),
        f("description", "职责", long(2000)).public(),
    ],
    scope_col: "committee_id",
    search_cols: &["name"],
    order_by: "id",
    public: true,
};

pub static MEMBER: Resource = Resource {
    res: Res::Member,
    table: "members",
    path: "members",
    label: "委员",
    fields: &[
        f("name", "姓名", text(30)).req().list().public(),
        f("gender", "性别", Kind::Choice(GENDERS)).list().public(),
        f("ethnicity", "民族", text(20)).public(),
        f("party", "党派", text(30)).list().filter().public(),
        f("sector_id", "界别", Kind::Ref(Res::Sector))
            .req()
            .list()
            .filter()
            .public(),
        f(
            "special_committee_ids",
            "专委会",
            Kind::RefMany {
                target: Res::SpecialCommittee,
                link_table: "member_special_committees",
                owner_col: "member_id",
                target_col: "special_committee_id",
            },
        )
        .filter()
        .public(),
        f("employer", "工作单位", text(100)).list().public(),
        f("job_title", "职务", text(100)).public(),
        f("is_standing", "常委", Kind::Bool)
            .list()
            .filter()
            .public(),
        f("term_id", "届次", Kind::Ref(Res::Term)).filter(),
        f("status", "状态", Kind::Choice(MEMBER_STATUS))
            .req()
            .list()
            .filter(),
        f("phone", "手机", Kind::Phone).list(),
        f("public_contact", "公开联系方式", text(200)).public(),
        f("bio", "个人简介", long(2000)).public(),
    ],
    scope_col: "committee_id",
    search_cols: &["name", "employer"],
    order_by: "id",
    public: true,
};

pub static STUDIO: Resource = Resource {
    res: Res::Studio,
    table: "studios",
    path: "studios",
    label: "委员工作室",
    fields: &[
        f("name", "名称", text(100)).req().list().public(),
        f("address", "地址", text(200)).req().list().public(),
        f("opening_hours", "开放时间", text(200)).public(),
        f("lead_member_id", "负责人", Kind::Ref(Res::Member))
            .list()
            .filter()
            .public(),
        f(
            "member_ids",
            "入驻委员",
            Kind::RefMany {
                target: Res::Member,
                link_table: "studio_members",
                owner_col: "studio_id",
                target_col: "member_id",
            },
        )
        .filter()
        .public(),
        f(
            "sector_ids",
            "服务界别",
            Kind::RefMany {
                target: Res::Sector,
                link_table: "studio_sectors",
                owner_col: "studio_id",
                target_col: "sector_id",
            },
        )
        .filter()
        .public(),
        f("public_contact", "联系方式", text(200)).public(),
        f("description", "简介", long(2000)).public(),
    ],
    scope_col: "committee_id",
    search_cols: &["name", "address"],
    order_by: "id",
    public: true,
};

pub static HANDLING_UNIT: Resource = Resource {
    res: Res::HandlingUnit,
    table: "handling_units",
    path: "handling-units",
    label: "承办单位",
    fields: &[
        f("name", "名称", text(100)).req().list(),
        f("unit_type", "类型", text(30)).list().filter(),
        f("contact_person", "联系人", text(30)).list(),
        f("contact_phone", "联系电话", text(30)),
        f("address", "地址", text(200)),
    ],
    scope_col: "committee_id",
    search_cols: &["name"],
    order_by: "id",
    public: false,
};

pub static EMPLOYER_CONTACT: Resource = Resource {
    res: Res::EmployerContact,
    table: "employer_contacts",
    path: "employer-contacts",
    label: "与委员所在单位沟通",
    fields: &[
        f("member_id", "委员", Kind::Ref(Res::Member))
            .req()
            .list()
            .filter(),
        f("contact_date", "日期", Kind::Date).req().list(),
        f("unit", "单位", text(100)).req().list(),
        f("discussed", "沟通内容", long(2000)).req(),
        f("staff", "经办人", text(30)).list(),
    ],
    scope_col: "committee_id",
    search_cols: &["unit", "discussed"],
    order_by: "contact_date DESC, id DESC",
    public: false,
};

pub const SERVICE_KINDS: &[(&str, &str)] = &[
    ("publicity", "政策宣传"),
    ("interpretation", "现场解读"),
    ("volunteer", "专业志愿服务"),
];
pub const SKILLS: &[(&str, &str)] = &[
    ("law", "法律"),
    ("medicine", "医疗卫生"),
    ("education", "教育"),
    ("psychology", "心理咨询"),
    ("finance", "财税金融"),
    ("agriculture", "农业技术"),
    ("policy", "政策咨询"),
    ("other", "其他"),
];

pub static CONCERN_CATEGORY: Resource = Resource {
    res: Res::ConcernCategory,
    table: "concern_categories",
    path: "concern-categories",
    label: "诉求类别",
    fields: &[
        f("name", "名称", text(30)).req().list().public(),
        f(
            "deadline_days",
            "办理时限（天）",
            Kind::Int { min: 1, max: 365 },
        )
        .req()
        .list()
        .public(),
        f("service_code", "Open311 服务代码", text(40))
            .req()
            .list()
            .public(),
        f("description", "说明", long(500)).public(),
    ],
    scope_col: "committee_id",
    search_cols: &["name"],
    order_by: "id",
    public: true,
};

pub static ROUTING_RULE: Resource = Resource {
    res: Res::RoutingRule,
    table: "routing_rules",
    path: "routing-rules",
    label: "分办规则",
    fields: &[
        f("category_id", "诉求类别", Kind::Ref(Res::ConcernCategory))
            .list()
            .filter(),
        f("area", "地区（包含此文字即匹配）", text(50)).list(),
        f("sector_id", "界别", Kind::Ref(Res::Sector))
            .list()
            .filter(),
        f("studio_id", "分派到工作室", Kind::Ref(Res::Studio))
            .list()
            .filter(),
        f("member_id", "分派到委员", Kind::Ref(Res::Member))
            .list()
            .filter(),
        f(
            "special_committee_id",
            "分派到专委会",
            Kind::Ref(Res::SpecialCommittee),
        )
        .list()
        .filter(),
        f("note", "备注", text(200)).list(),
    ],
    scope_col: "committee_id",
    search_cols: &["area", "note"],
    order_by: "id",
    public: false,
};

pub static RECEPTION_SLOT: Resource = Resource {
    res: Res::ReceptionSlot,
    table: "reception_slots",
    path: "reception-slots",
    label: "接待日安排",
    fields: &[
        f("day", "日期", Kind::Date).req().list().public(),
        f("starts_at", "开始", Kind::Time).req().list().public(),
        f("ends_at", "结束", Kind::Time).req().list().public(),
        f("studio_id", "工作室", Kind::Ref(Res::Studio))
            .req()
            .list()
            .filter()
            .public(),
        f("member_id", "值班委员", Kind::Ref(Res::Member))
            .list()
            .filter()
            .public(),
        f("capacity", "可预约人数", Kind::Int { min: 1, max: 500 })
            .req()
            .list()
            .public(),
        f("note", "说明", text(200)).public(),
    ],
    scope_col: "committee_id",
    search_cols: &["note"],
    order_by: "day, starts_at, id",
    public: true,
};

pub static SERVICE_OFFER: Resource = Resource {
    res: Res::ServiceOffer,
    table: "service_offers",
    path: "service-offers",
    label: "服务项目",
    fields: &[
        f("title", "名称", text(100)).req().list().public(),
        f("kind", "服务形式", Kind::Choice(SERVICE_KINDS))
            .req()
            .list()
            .filter()
            .public(),
        f("skill", "专业领域", Kind::Choice(SKILLS))
            .list()
            .filter()
            .public(),
        f("studio_id", "工作室", Kind::Ref(Res::Studio))
            .req()
            .list()
            .filter()
            .public(),
        f(
            "provider_member_id",
            "提供服务的委员",
            Kind::Ref(Res::Member),
        )
        .list()
        .filter()
        .public(),
        f("provider_name", "专业人士（非委员）", text(60)).public(),
        f("description", "服务内容", long(2000)).public(),
        f("active", "开放预约", Kind::Bool).list().filter().public(),
    ],
    scope_col: "committee_id",
    search_cols: &["title", "description"],
    order_by: "id",
    public: true,
};

pub static ALL: &[&Resource] = &[
    &COMMITTEE,
    &TERM,
    &SECTOR,
    &SPECIAL_COMMITTEE,
    &MEMBER,
    &STUDIO,
    &HANDLING_UNIT,
    &EMPLOYER_CONTACT,
    &CONCERN_CATEGORY,
    &ROUTING_RULE,
    &RECEPTION_SLOT,
    &SERVICE_OFFER,
];

pub fn resource(res: Res) -> &'static Resource {
    match res {
        Res::Committee => &COMMITTEE,
        Res::Term => &TERM,
        Res::Sector => &SECTOR,
        Res::SpecialCommittee => &SPECIAL_COMMITTEE,
        Res::Member => &MEMBER,
        Res::Studio => &STUDIO,
        Res::HandlingUnit => &HANDLING_UNIT,
        Res::EmployerContact => &EMPLOYER_CONTACT,
        Res::ConcernCategory => &CONCERN_CATEGORY,
        Res::RoutingRule => &ROUTING_RULE,
        Res::ReceptionSlot => &RECEPTION_SLOT,
        Res::ServiceOffer => &SERVICE_OFFER,
    }
}

pub fn by_path(path: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.path == path)
}

impl Res {
    /// The name used in event kinds and audit subjects (`member.created`, `member:12`).
    pub fn code(self) -> &'static str {
        match self {
            Res::Committee => "committee",
            Res::Term => "term",
            Res::Sector => "sector",
            Res::SpecialCommittee => "special_committee",
            Res::Member => "member",
            Res::Studio => "studio",
            Res::HandlingUnit => "handling_unit",
            Res::EmployerContact => "employer_contact",
            Res::ConcernCategory => "concern_category",
            Res::RoutingRule => "routing_rule",
            Res::ReceptionSlot => "reception_slot",
            Res::ServiceOffer => "service_offer",
        }
    }
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// Fields stored in the record's own row (link-table fields are stored apart).
    pub fn column_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields
            .iter()
            .filter(|f| !matches!(f.kind, Kind::RefMany { .. }))
    }
    /// The field naming this record in lists and pickers.
    pub fn title_field(&self) -> &'static str {
        match self.res {
            Res::EmployerContact => "unit",
            Res::RoutingRule => "note",
            Res::ReceptionSlot => "day",
            Res::ServiceOffer => "title",
            _ => "name",
        }
    }
}

/// Rules across fields of one record, checked on the record as it will be stored.
pub fn check_record(
    res: Res,
    json: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), crate::Invalid> {
    let set = |k: &str| json.get(k).is_some_and(|v| !v.is_null());
    match res {
        Res::RoutingRule => {
            let targets = ["studio_id", "member_id", "special_committee_id"]
                .iter()
                .filter(|k| set(k))
                .count();
            if targets != 1 {
                return Err(crate::Invalid::one(
                    "studio_id",
                    "routing_rule.one_target",
                    "请在工作室、委员、专委会中选择且只选择一个分派对象",
                ));
            }
        }
        Res::ReceptionSlot => {
            let (a, b) = (
                json.get("starts_at").and_then(|v| v.as_str()),
                json.get("ends_at").and_then(|v| v.as_str()),
            );
            if let (Some(a), Some(b)) = (a, b)
                && a >= b
            {
                return Err(crate::Invalid::one(
                    "ends_at",
                    "reception_slot.ends_before_start",
                    "结束时间应晚于开始时间",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

pub fn choice_label(choices: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    choices.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_found_by_its_path_and_res() {
        for r in ALL {
            assert!(std::ptr::eq(by_path(r.path).unwrap(), *r));
            assert!(std::ptr::eq(resource(r.res), *r));
            assert!(
                r.field(r.title_field()).is_some(),
                "{} has no title field",
                r.table
            );
        }
    }

    #[test]
    fn field_names_are_unique_and_safe_as_sql_identifiers() {
        for r in ALL {
            let mut seen = std::collections::HashSet::new();
            for f in r.fields {
                assert!(seen.insert(f.name), "{}.{} twice", r.table, f.name);
                assert!(
                    f.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{}",
                    f.name
                );
            }
        }
    }
}
