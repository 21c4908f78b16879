//! The 34 sectors (界别) of the 14th National Committee of the CPPCC (2023–2028), built into
//! every committee when it is created; a committee adds its own local sectors beside them.
//! Source: the national committee's published list (see shared/data/sectors-national-14th.json).

/// (name, group code)
pub const NATIONAL_SECTORS: [(&str, &str); 34] = [
    ("中国共产党", "party"),
    ("中国国民党革命委员会", "party"),
    ("中国民主同盟", "party"),
    ("中国民主建国会", "party"),
    ("中国民主促进会", "party"),
    ("中国农工民主党", "party"),
    ("中国致公党", "party"),
    ("九三学社", "party"),
    ("台湾民主自治同盟", "party"),
    ("无党派人士", "party"),
    (
        "中国共产主义青年团 中华全国青年联合会",
        "people_organisation",
    ),
    ("中华全国总工会", "people_organisation"),
    ("中华全国妇女联合会", "people_organisation"),
    ("中华全国台湾同胞联谊会", "people_organisation"),
    ("中华全国归国华侨联合会", "people_organisation"),
    ("中国科学技术协会", "people_organisation"),
    ("中华全国工商业联合会", "people_organisation"),
    ("文化艺术界", "profession"),
    ("科学技术界", "profession"),
    ("社会科学界", "profession"),
    ("经济界", "profession"),
    ("农业界", "profession"),
    ("教育界", "profession"),
    ("体育界", "profession"),
    ("新闻出版界", "profession"),
    ("医药卫生界", "profession"),
    ("对外友好界", "profession"),
    ("社会福利和社会保障界", "profession"),
    ("少数民族界", "profession"),
    ("宗教界", "profession"),
    ("环境资源界", "profession"),
    ("特邀香港人士", "special"),
    ("特邀澳门人士", "special"),
    ("特别邀请人士", "special"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SECTOR_GROUPS;

    #[test]
    fn thirty_four_distinct_sectors_in_known_groups() {
        let names: std::collections::HashSet<_> = NATIONAL_SECTORS.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 34);
        for (_, g) in NATIONAL_SECTORS {
            assert!(SECTOR_GROUPS.iter().any(|(c, _)| *c == g));
        }
    }
}
