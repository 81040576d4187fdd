//! The demo city's vocabulary: Hanoi's departments, agencies, wards and communes, division names,
//! job positions, Vietnamese personal names, task wording and public services. Data only, plus
//! the small helpers that turn it into ids; its length is the lists', one job.

use rand::Rng;

/// A department or agency directly under the city.
pub struct Dept {
    /// Short code, the last part of the unit id (`hn.<code>`).
    pub code: &'static str,
    pub name: &'static str,
    /// Agencies (ban quản lý, trung tâm, quỹ...) are `agency`; the rest `department`.
    pub agency: bool,
    pub head: &'static str,
    pub deputy: &'static str,
    /// The office that every unit has, listed first among its divisions.
    pub office: (&'static str, &'static str),
    /// Divisions proper to this unit, taken before the generic ones.
    pub own: &'static [(&'static str, &'static str)],
}

const VP_SO: (&str, &str) = ("vp", "Văn phòng Sở");
const VP: (&str, &str) = ("vp", "Văn phòng");

/// Ordered so that a small demo (the first few) still has the units the KPIs lean on.
#[rustfmt::skip]
pub const DEPTS: &[Dept] = &[
    Dept {
        code: "so-nv",
        name: "Sở Nội vụ",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("ccvc", "Phòng Công chức, viên chức"),
            ("xdcq", "Phòng Xây dựng chính quyền và Công tác thanh niên"),
            ("tdkt", "Ban Thi đua - Khen thưởng"),
        ],
    },
    Dept {
        code: "so-tc",
        name: "Sở Tài chính",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qlns", "Phòng Quản lý ngân sách"),
            ("tcdt", "Phòng Tài chính đầu tư"),
            ("dkkd", "Phòng Đăng ký kinh doanh"),
        ],
    },
    Dept {
        code: "ttphcc",
        name: "Trung tâm Phục vụ hành chính công",
        agency: true,
        head: "Giám đốc Trung tâm",
        deputy: "Phó Giám đốc Trung tâm",
        office: VP,
        own: &[
            ("tnhs", "Phòng Tiếp nhận và Trả kết quả"),
            ("gs", "Phòng Giám sát, đánh giá"),
        ],
    },
    Dept {
        code: "so-yt",
        name: "Sở Y tế",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("nvy", "Phòng Nghiệp vụ Y"),
            ("nvd", "Phòng Nghiệp vụ Dược"),
            ("ytcc", "Phòng Y tế cộng đồng"),
        ],
    },
    Dept {
        code: "so-gddt",
        name: "Sở Giáo dục và Đào tạo",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("gdpt", "Phòng Giáo dục phổ thông"),
            ("gdmn", "Phòng Giáo dục mầm non"),
            ("khtc", "Phòng Kế hoạch - Tài chính"),
        ],
    },
    Dept {
        code: "so-xd",
        name: "Sở Xây dựng",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qlxd", "Phòng Quản lý xây dựng"),
            ("htkt", "Phòng Hạ tầng kỹ thuật"),
            ("qlgt", "Phòng Quản lý giao thông"),
        ],
    },
    Dept {
        code: "so-tp",
        name: "Sở Tư pháp",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("hctp", "Phòng Hành chính tư pháp"),
            ("bttp", "Phòng Bổ trợ tư pháp"),
            ("xdvb", "Phòng Xây dựng và kiểm tra văn bản"),
        ],
    },
    Dept {
        code: "so-khcn",
        name: "Sở Khoa học và Công nghệ",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("cds", "Phòng Chuyển đổi số"),
            ("qlkh", "Phòng Quản lý khoa học"),
            ("bcvt", "Phòng Bưu chính, Viễn thông"),
        ],
    },
    Dept {
        code: "so-vhtt",
        name: "Sở Văn hóa và Thể thao",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qlvh", "Phòng Quản lý văn hóa"),
            ("tdtt", "Phòng Thể dục thể thao"),
            ("qldsvh", "Phòng Quản lý di sản văn hóa"),
        ],
    },
    Dept {
        code: "so-nnmt",
        name: "Sở Nông nghiệp và Môi trường",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qlmt", "Phòng Quản lý môi trường"),
            ("qldd", "Phòng Quản lý đất đai"),
            ("ntm", "Phòng Phát triển nông thôn"),
        ],
    },
    Dept {
        code: "ca",
        name: "Công an Thành phố",
        agency: false,
        head: "Giám đốc Công an Thành phố",
        deputy: "Phó Giám đốc Công an Thành phố",
        office: ("ts", "Phòng Tham mưu"),
        own: &[
            ("csgt", "Phòng Cảnh sát giao thông"),
            (
                "pccc",
                "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ",
            ),
            (
                "qlhc",
                "Phòng Cảnh sát quản lý hành chính về trật tự xã hội",
            ),
        ],
    },
    Dept {
        code: "so-ct",
        name: "Sở Công Thương",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qltm", "Phòng Quản lý thương mại"),
            ("qlcn", "Phòng Quản lý công nghiệp"),
            ("nl", "Phòng Quản lý năng lượng"),
        ],
    },
    Dept {
        code: "so-dl",
        name: "Sở Du lịch",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qlldl", "Phòng Quản lý lữ hành"),
            ("xttdl", "Phòng Xúc tiến và Phát triển du lịch"),
        ],
    },
    Dept {
        code: "so-qhkt",
        name: "Sở Quy hoạch - Kiến trúc",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("qhc", "Phòng Quy hoạch chung"),
            ("kt", "Phòng Quản lý kiến trúc"),
            ("hthkt", "Phòng Quy hoạch hạ tầng kỹ thuật"),
        ],
    },
    Dept {
        code: "so-dttg",
        name: "Sở Dân tộc và Tôn giáo",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[
            ("cstg", "Phòng Chính sách tôn giáo"),
            ("csdt", "Phòng Chính sách dân tộc"),
        ],
    },
    Dept {
        code: "ttra",
        name: "Thanh tra Thành phố",
        agency: false,
        head: "Chánh Thanh tra Thành phố",
        deputy: "Phó Chánh Thanh tra Thành phố",
        office: VP,
        own: &[
            ("tckn", "Phòng Tiếp công dân, xử lý đơn"),
            ("pctn", "Phòng Phòng, chống tham nhũng"),
            ("tt1", "Phòng Thanh tra số 1"),
        ],
    },
    Dept {
        code: "vp-ubnd",
        name: "Văn phòng UBND Thành phố",
        agency: false,
        head: "Chánh Văn phòng",
        deputy: "Phó Chánh Văn phòng",
        office: ("hcth", "Phòng Hành chính - Tổ chức"),
        own: &[
            ("th", "Phòng Tổng hợp"),
            ("kt", "Phòng Kinh tế"),
            ("kgvx", "Phòng Khoa giáo - Văn xã"),
            ("ihanoi", "Trung tâm Thông tin điện tử"),
        ],
    },
    Dept {
        code: "vp-hdnd",
        name: "Văn phòng Đoàn ĐBQH và HĐND Thành phố",
        agency: false,
        head: "Chánh Văn phòng",
        deputy: "Phó Chánh Văn phòng",
        office: ("hctc", "Phòng Hành chính - Tổ chức - Quản trị"),
        own: &[
            ("ctqh", "Phòng Công tác Quốc hội"),
            ("cthdnd", "Phòng Công tác HĐND"),
        ],
    },
    Dept {
        code: "so-ngv",
        name: "Sở Ngoại vụ",
        agency: false,
        head: "Giám đốc Sở",
        deputy: "Phó Giám đốc Sở",
        office: VP_SO,
        own: &[("lt", "Phòng Lãnh sự"), ("hqt", "Phòng Hợp tác quốc tế")],
    },
    Dept {
        code: "bql-kcn",
        name: "Ban Quản lý các Khu công nghiệp và Chế xuất",
        agency: true,
        head: "Trưởng ban",
        deputy: "Phó Trưởng ban",
        office: VP,
        own: &[
            ("qldt", "Phòng Quản lý đầu tư"),
            ("qlmt", "Phòng Quản lý môi trường"),
            ("qlld", "Phòng Quản lý lao động"),
        ],
    },
    Dept {
        code: "bql-gt",
        name: "Ban Quản lý dự án đầu tư xây dựng công trình giao thông",
        agency: true,
        head: "Giám đốc Ban",
        deputy: "Phó Giám đốc Ban",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[
            ("kt", "Phòng Kỹ thuật"),
            ("da1", "Phòng Điều hành dự án 1"),
            ("da2", "Phòng Điều hành dự án 2"),
        ],
    },
    Dept {
        code: "bql-dd",
        name: "Ban Quản lý dự án đầu tư xây dựng công trình dân dụng và công nghiệp",
        agency: true,
        head: "Giám đốc Ban",
        deputy: "Phó Giám đốc Ban",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[("kt", "Phòng Kỹ thuật"), ("da1", "Phòng Điều hành dự án 1")],
    },
    Dept {
        code: "bql-nn",
        name: "Ban Quản lý dự án đầu tư xây dựng công trình nông nghiệp và phát triển nông thôn",
        agency: true,
        head: "Giám đốc Ban",
        deputy: "Phó Giám đốc Ban",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[("kt", "Phòng Kỹ thuật"), ("da", "Phòng Điều hành dự án")],
    },
    Dept {
        code: "bql-ctn",
        name: "Ban Quản lý dự án đầu tư xây dựng công trình cấp nước, thoát nước và môi trường",
        agency: true,
        head: "Giám đốc Ban",
        deputy: "Phó Giám đốc Ban",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[("kt", "Phòng Kỹ thuật"), ("da", "Phòng Điều hành dự án")],
    },
    Dept {
        code: "bql-dsdt",
        name: "Ban Quản lý đường sắt đô thị Hà Nội",
        agency: true,
        head: "Trưởng ban",
        deputy: "Phó Trưởng ban",
        office: VP,
        own: &[
            ("ktct", "Phòng Kỹ thuật - Công nghệ"),
            ("gpmb", "Phòng Giải phóng mặt bằng"),
        ],
    },
    Dept {
        code: "bql-tdpt",
        name: "Ban Quản lý các dự án trọng điểm phát triển đô thị",
        agency: true,
        head: "Giám đốc Ban",
        deputy: "Phó Giám đốc Ban",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[("kt", "Phòng Kỹ thuật"), ("da", "Phòng Điều hành dự án")],
    },
    Dept {
        code: "dai-ptth",
        name: "Đài Phát thanh và Truyền hình Hà Nội",
        agency: true,
        head: "Tổng Giám đốc",
        deputy: "Phó Tổng Giám đốc",
        office: ("vp", "Văn phòng Đài"),
        own: &[("tsth", "Ban Thời sự"), ("kthuat", "Trung tâm Kỹ thuật")],
    },
    Dept {
        code: "qdtpt",
        name: "Quỹ Đầu tư phát triển Thành phố",
        agency: true,
        head: "Giám đốc Quỹ",
        deputy: "Phó Giám đốc Quỹ",
        office: ("hcns", "Phòng Hành chính - Nhân sự"),
        own: &[
            ("td", "Phòng Tín dụng"),
            ("kttc", "Phòng Kế toán - Tài chính"),
        ],
    },
    Dept {
        code: "vien-nc",
        name: "Viện Nghiên cứu phát triển kinh tế - xã hội Hà Nội",
        agency: true,
        head: "Viện trưởng",
        deputy: "Phó Viện trưởng",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[
            ("nckt", "Phòng Nghiên cứu kinh tế"),
            ("ncxh", "Phòng Nghiên cứu xã hội"),
        ],
    },
    Dept {
        code: "dh-thudo",
        name: "Trường Đại học Thủ đô Hà Nội",
        agency: true,
        head: "Hiệu trưởng",
        deputy: "Phó Hiệu trưởng",
        office: ("hcth", "Phòng Hành chính - Tổng hợp"),
        own: &[("dt", "Phòng Đào tạo"), ("qlkh", "Phòng Quản lý khoa học")],
    },
];

/// Divisions most departments have, taken after a unit's own.
pub const GENERIC_DIVISIONS: &[(&str, &str)] = &[
    ("tccb", "Phòng Tổ chức cán bộ"),
    ("khtc", "Phòng Kế hoạch - Tài chính"),
    ("ttr", "Thanh tra Sở"),
    ("pc", "Phòng Pháp chế"),
];

/// The 51 wards of Hanoi after the 2025 reorganization of local government.
pub const WARDS: &[&str] = &[
    "Hoàn Kiếm",
    "Cửa Nam",
    "Ba Đình",
    "Ngọc Hà",
    "Giảng Võ",
    "Hai Bà Trưng",
    "Vĩnh Tuy",
    "Bạch Mai",
    "Đống Đa",
    "Kim Liên",
    "Văn Miếu - Quốc Tử Giám",
    "Láng",
    "Ô Chợ Dừa",
    "Hồng Hà",
    "Lĩnh Nam",
    "Hoàng Mai",
    "Vĩnh Hưng",
    "Tương Mai",
    "Định Công",
    "Hoàng Liệt",
    "Yên Sở",
    "Thanh Xuân",
    "Khương Đình",
    "Phương Liệt",
    "Cầu Giấy",
    "Nghĩa Đô",
    "Yên Hòa",
    "Tây Hồ",
    "Phú Thượng",
    "Tây Tựu",
    "Phú Diễn",
    "Xuân Đỉnh",
    "Đông Ngạc",
    "Thượng Cát",
    "Từ Liêm",
    "Xuân Phương",
    "Tây Mỗ",
    "Đại Mỗ",
    "Long Biên",
    "Bồ Đề",
    "Việt Hưng",
    "Phúc Lợi",
    "Hà Đông",
    "Dương Nội",
    "Yên Nghĩa",
    "Phú Lương",
    "Kiến Hưng",
    "Thanh Liệt",
    "Chương Mỹ",
    "Sơn Tây",
    "Tùng Thiện",
];

/// The 75 communes of Hanoi after the same reorganization.
pub const COMMUNES: &[&str] = &[
    "Sóc Sơn",
    "Đa Phúc",
    "Nội Bài",
    "Trung Giã",
    "Kim Anh",
    "Đông Anh",
    "Thư Lâm",
    "Phúc Thịnh",
    "Thiên Lộc",
    "Vĩnh Thanh",
    "Mê Linh",
    "Yên Lãng",
    "Tiến Thắng",
    "Quang Minh",
    "Gia Lâm",
    "Thuận An",
    "Bát Tràng",
    "Phù Đổng",
    "Thanh Trì",
    "Đại Thanh",
    "Nam Phù",
    "Ngọc Hồi",
    "Thượng Phúc",
    "Thường Tín",
    "Chương Dương",
    "Hồng Vân",
    "Phú Xuyên",
    "Phượng Dực",
    "Chuyên Mỹ",
    "Đại Xuyên",
    "Thanh Oai",
    "Bình Minh",
    "Tam Hưng",
    "Dân Hòa",
    "Vân Đình",
    "Ứng Thiên",
    "Hòa Xá",
    "Ứng Hòa",
    "Mỹ Đức",
    "Hồng Sơn",
    "Phúc Sơn",
    "Hương Sơn",
    "Phú Nghĩa",
    "Xuân Mai",
    "Trần Phú",
    "Hòa Phú",
    "Quảng Bị",
    "Minh Châu",
    "Quảng Oai",
    "Vật Lại",
    "Cổ Đô",
    "Bất Bạt",
    "Suối Hai",
    "Ba Vì",
    "Yên Bài",
    "Đoài Phương",
    "Phúc Thọ",
    "Phúc Lộc",
    "Hát Môn",
    "Thạch Thất",
    "Hạ Bằng",
    "Tây Phương",
    "Hòa Lạc",
    "Yên Xuân",
    "Quốc Oai",
    "Hưng Đạo",
    "Kiều Phú",
    "Phú Cát",
    "Hoài Đức",
    "Dương Hòa",
    "Sơn Đồng",
    "An Khánh",
    "Đan Phượng",
    "Ô Diên",
    "Liên Minh",
];

/// Divisions of a ward's or commune's People's Committee; the economy division is named
/// differently in wards (urban) and communes.
pub const WARD_DIVISIONS: &[(&str, &str)] = &[
    ("vp", "Văn phòng HĐND và UBND"),
    ("kt", "Phòng Kinh tế, Hạ tầng và Đô thị"),
    ("vhxh", "Phòng Văn hóa - Xã hội"),
    ("ttphcc", "Trung tâm Phục vụ hành chính công"),
];
pub const COMMUNE_ECONOMY: &str = "Phòng Kinh tế";

/// Family names with their rough share in Hanoi, in per mille.
const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Vũ", 45),
    ("Đặng", 25),
    ("Bùi", 25),
    ("Đỗ", 25),
    ("Hồ", 15),
    ("Ngô", 15),
    ("Dương", 12),
    ("Phan", 20),
    ("Đinh", 12),
    ("Trịnh", 12),
    ("Đào", 10),
    ("Lý", 6),
    ("Mai", 6),
    ("Tạ", 6),
    ("Lương", 6),
    ("Cao", 5),
    ("Khuất", 3),
    ("Kiều", 3),
    ("Chu", 4),
];
const MIDDLE_MALE: &[&str] = &[
    "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Mạnh", "Công", "Tuấn", "Anh", "Việt",
    "Trọng", "Quốc",
];
const MIDDLE_FEMALE: &[&str] = &[
    "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Hồng", "Thúy", "Kim", "Diệu", "Mai", "Bích",
    "Hải",
];
const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Hải", "Long", "Nam", "Sơn", "Thắng", "Cường", "Hoàng", "Quân",
    "Trung", "Hiếu", "Tùng", "Đạt", "Khánh", "Phong", "Thành", "Bình", "Huy", "Kiên", "Lâm",
    "Vinh", "Toàn", "Việt", "Tú", "Hưng", "Đức", "Quyết", "Thịnh", "Phúc", "Nghĩa", "Dương",
    "Hiển",
];
const GIVEN_FEMALE: &[&str] = &[
    "Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Hằng", "Ngọc", "Thảo", "Huyền", "Nga", "Yến",
    "Phương", "Hà", "Thủy", "Loan", "Oanh", "Dung", "Vân", "Anh", "Giang", "Nhung", "Quyên",
    "Hạnh", "Thu", "Trâm", "Liên", "Hiền", "Châu",
];

/// A Vietnamese full name: family, middle, given.
pub fn person_name(rng: &mut impl Rng) -> String {
    let total: u32 = FAMILY.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    let mut family = FAMILY[0].0;
    for (name, w) in FAMILY {
        if pick < *w {
            family = name;
            break;
        }
        pick -= w;
    }
    let (middle, given) = if rng.gen_bool(0.5) {
        (MIDDLE_MALE, GIVEN_MALE)
    } else {
        (MIDDLE_FEMALE, GIVEN_FEMALE)
    };
    let m = middle[rng.gen_range(0..middle.len())];
    let g = given[rng.gen_range(0..given.len())];
    format!("{family} {m} {g}")
}

/// Positions of the rank and file, with their share in per mille.
pub const STAFF_POSITIONS: &[(&str, u32)] = &[
    ("Chuyên viên", 560),
    ("Chuyên viên chính", 260),
    ("Cán bộ", 180),
];

pub fn staff_position(rng: &mut impl Rng) -> &'static str {
    let mut pick = rng.gen_range(0..1000);
    for (p, w) in STAFF_POSITIONS {
        if pick < *w {
            return p;
        }
        pick -= w;
    }
    STAFF_POSITIONS[0].0
}

/// The head and deputy titles of a division, from how the division is named.
pub fn division_titles(name: &str) -> (&'static str, &'static str) {
    if name.starts_with("Văn phòng") {
        ("Chánh Văn phòng", "Phó Chánh Văn phòng")
    } else if name.starts_with("Thanh tra") {
        ("Chánh Thanh tra", "Phó Chánh Thanh tra")
    } else if name.starts_with("Ban") {
        ("Trưởng ban", "Phó Trưởng ban")
    } else if name.starts_with("Trung tâm") {
        ("Giám đốc Trung tâm", "Phó Giám đốc Trung tâm")
    } else {
        ("Trưởng phòng", "Phó Trưởng phòng")
    }
}

/// Whether a position heads its unit: the accountable leader for the unit's tasks.
pub fn is_head_position(position: &str) -> bool {
    const HEADS: &[&str] = &[
        "Chủ tịch",
        "Giám đốc",
        "Tổng Giám đốc",
        "Trưởng",
        "Chánh",
        "Viện trưởng",
        "Hiệu trưởng",
    ];
    HEADS.iter().any(|h| position.starts_with(h))
}

/// What a task asks for (its verb phrase) and the output it expects.
pub const TASK_VERBS: &[(&str, &str)] = &[
    ("Hoàn thiện báo cáo", "Báo cáo"),
    ("Rà soát hồ sơ", "Biên bản rà soát"),
    ("Tổ chức kiểm tra", "Biên bản kiểm tra"),
    ("Triển khai kế hoạch", "Báo cáo kết quả triển khai"),
    ("Xây dựng kế hoạch", "Kế hoạch"),
    ("Dự thảo văn bản về", "Dự thảo văn bản"),
    ("Tổng hợp số liệu", "Bảng tổng hợp số liệu"),
    (
        "Cập nhật cơ sở dữ liệu",
        "Dữ liệu được cập nhật trên hệ thống",
    ),
    ("Chuẩn bị nội dung họp về", "Tài liệu cuộc họp"),
    ("Tham mưu tờ trình về", "Tờ trình"),
    ("Thẩm định hồ sơ", "Văn bản thẩm định"),
    ("Giải quyết kiến nghị về", "Văn bản trả lời"),
    ("Đôn đốc thực hiện", "Báo cáo tiến độ"),
    ("Tuyên truyền về", "Tin bài, tài liệu tuyên truyền"),
];

pub const TASK_TOPICS: &[&str] = &[
    "cải cách hành chính",
    "giải ngân vốn đầu tư công",
    "chuyển đổi số",
    "phòng cháy, chữa cháy tại khu dân cư",
    "an toàn thực phẩm",
    "trật tự xây dựng",
    "thu ngân sách nhà nước",
    "công tác cán bộ",
    "phòng, chống tham nhũng, tiêu cực",
    "bảo vệ môi trường",
    "an sinh xã hội",
    "tiếp công dân",
    "giải quyết khiếu nại, tố cáo",
    "quản lý đất đai",
    "chỉnh trang đô thị",
    "xây dựng nông thôn mới",
    "y tế cơ sở",
    "giáo dục phổ thông",
    "dịch vụ công trực tuyến",
    "thi đua, khen thưởng",
    "phản ánh, kiến nghị trên iHanoi",
    "sắp xếp đơn vị hành chính",
    "quản lý tài sản công",
    "phân loại rác thải tại nguồn",
    "an toàn giao thông",
    "công tác dân tộc, tôn giáo",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "kế hoạch phát triển kinh tế - xã hội",
    "bảo tồn di tích",
    "phòng, chống thiên tai",
];

/// Public services rated by citizens at the one-stop counters.
pub const SERVICES: &[&str] = &[
    "Cấp giấy khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký hộ kinh doanh",
    "Chứng thực bản sao từ bản chính",
    "Chứng thực chữ ký",
    "Đăng ký thường trú",
    "Cấp giấy phép xây dựng",
    "Xác nhận tình trạng hôn nhân",
    "Đăng ký khai tử",
    "Cấp bản sao trích lục hộ tịch",
    "Đăng ký biến động đất đai",
];

/// Folds Vietnamese letters to ASCII and keeps only `[a-z0-9]`: "Văn Miếu - Quốc Tử Giám" ->
/// "vanmieuquoctugiam". Unit ids are made of these.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ'
            | 'ẩ' | 'ẫ' | 'ậ' => 'a',
            'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => {
                'e'
            }
            'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
            'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ'
            | 'ở' | 'ỡ' | 'ợ' => 'o',
            'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => {
                'u'
            }
            'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
            'đ' => 'd',
            c => c,
        };
        if folded.is_ascii_alphanumeric() {
            out.push(folded);
        }
    }
    out
}

/// Short names the city's org data gives its longest units, for tiles on walls (by `Dept::code`).
/// Where none is given, screens wrap the full name on two lines.
pub const SHORT_NAMES: &[(&str, &str)] = &[
    ("bql-kcn", "BQL các KCN và CX"),
    ("bql-gt", "BQL DA giao thông"),
    ("bql-dd", "BQL DA dân dụng và CN"),
    ("bql-nn", "BQL DA nông nghiệp và PTNT"),
    ("bql-ctn", "BQL DA cấp thoát nước và MT"),
    ("bql-dsdt", "BQL đường sắt đô thị"),
    ("bql-tdpt", "BQL DA trọng điểm đô thị"),
    ("vien-nc", "Viện NC phát triển KT-XH"),
    ("vp-hdnd", "VP Đoàn ĐBQH và HĐND"),
    ("dai-ptth", "Đài PT-TH Hà Nội"),
    ("ttphcc", "TT Phục vụ HCC"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn hanoi_has_126_wards_and_communes() {
        assert_eq!(WARDS.len(), 51);
        assert_eq!(COMMUNES.len(), 75);
        assert!(DEPTS.len() >= 30);
    }

    #[test]
    fn ids_fold_vietnamese_letters() {
        assert_eq!(slug("Văn Miếu - Quốc Tử Giám"), "vanmieuquoctugiam");
        assert_eq!(slug("Đống Đa"), "dongda");
        assert_eq!(slug("Ứng Hòa"), "unghoa");
        let mut seen = std::collections::HashSet::new();
        for w in WARDS {
            assert!(
                seen.insert(format!("p-{}", slug(w))),
                "duplicate ward slug {w}"
            );
        }
        for c in COMMUNES {
            assert!(
                seen.insert(format!("x-{}", slug(c))),
                "duplicate commune slug {c}"
            );
        }
        let codes: std::collections::HashSet<_> = DEPTS.iter().map(|d| d.code).collect();
        assert_eq!(codes.len(), DEPTS.len());
    }

    #[test]
    fn names_carry_diacritics() {
        let mut rng = SmallRng::seed_from_u64(1);
        let names: Vec<String> = (0..200).map(|_| person_name(&mut rng)).collect();
        assert!(names.iter().all(|n| n.split(' ').count() == 3));
        let with_marks = names.iter().filter(|n| !n.is_ascii()).count();
        assert!(
            with_marks > 190,
            "{with_marks} of 200 names have diacritics"
        );
        assert!(names.iter().any(|n| n.starts_with("Nguyễn ")));
    }

    #[test]
    fn heads_are_told_from_deputies() {
        assert!(is_head_position("Giám đốc Sở"));
        assert!(is_head_position("Chủ tịch UBND phường"));
        assert!(is_head_position("Chánh Văn phòng"));
        assert!(!is_head_position("Phó Giám đốc Sở"));
        assert!(!is_head_position("Chuyên viên chính"));
    }
}
