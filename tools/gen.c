/* gen.c: a seeded generator of realistic Ninh Bình household survey records, for tests, benchmarks and the demo. */
#include "gen.h"
#include "gen_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded through splitmix64, integers only,
 * so that a seed gives the same households on every machine. */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(saola_gen *g)
{
	uint64_t *s = g->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); 0 when n is 0. Rejection keeps it unbiased. */
uint64_t saola_gen_below(saola_gen *g, uint64_t n)
{
	uint64_t threshold, r;

	if (n == 0)
		return 0;
	threshold = (0 - n) % n;
	do
		r = next_u64(g);
	while (r < threshold);
	return r % n;
}

/* True with probability permille / 1000 (clamped to 0..1000). */
static bool chance(saola_gen *g, int permille)
{
	return (int)saola_gen_below(g, 1000) < permille;
}

/* Uniform in [lo, hi], both ends included; lo when hi < lo. */
static int range(saola_gen *g, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)saola_gen_below(g, (uint64_t)(hi - lo) + 1);
}

static int pick_weighted(saola_gen *g, const unsigned short *w, int n)
{
	unsigned total = 0;
	unsigned r;
	int i;

	for (i = 0; i < n; i++)
		total += w[i];
	r = (unsigned)saola_gen_below(g, total);
	for (i = 0; i < n - 1 && r >= w[i]; i++)
		r -= w[i];
	return i;
}

#define PICK(g, w) pick_weighted((g), (w), (int)(sizeof(w) / sizeof((w)[0])))

static const char *const village_names[] = {
	"Đồng Tâm", "Thượng", "Hạ", "Trung", "Đông", "Tây", "Nam", "Bắc",
	"Tân Thành", "Yên Thịnh", "Phú Xuân", "An Ninh", "Văn Lâm", "Xuân Vũ",
	"Tiền Phong", "Quyết Thắng", "Hòa Bình", "Phúc Lộc", "Đại Thắng", "Bình Sơn",
};

/* Villages keep one naming style per commune: numbered thôn or xóm, named
 * thôn, or numbered residential groups (tổ dân phố) in urban units. */
static void pick_village(saola_gen *g, const struct gen_commune *c, char *buf, size_t size)
{
	uint32_t h = saola__gen_fnv1a(c->code);
	int count = 5 + (int)((h >> 12) % 8); /* 5..12 */
	int style = (int)((h >> 8) % 10);

	if (c->urban)
		snprintf(buf, size, "Tổ dân phố %d", range(g, 1, count + 6));
	else if (style < 5)
		snprintf(buf, size, "Thôn %d", range(g, 1, count));
	else if (style < 8)
		snprintf(buf, size, "Xóm %d", range(g, 1, count));
	else
		snprintf(buf, size, "Thôn %s",
		         village_names[((h >> 16) + (uint32_t)range(g, 0, 5)) %
		                       (sizeof(village_names) / sizeof(village_names[0]))]);
}

/* ------------------------------------------------------------------ */
/* Code lists of the household form, in the order of household-record.md. */

enum { MALE, FEMALE };
enum { R_HEAD, R_SPOUSE, R_CHILD, R_PARENT, R_GRANDCHILD, R_OTHER };
enum { E_CONTRACT, E_NO_CONTRACT, E_SELF, E_UNEMPLOYED, E_NOT_WORKING };
enum { ED_NONE, ED_PRIMARY, ED_LOWER, ED_UPPER, ED_VOCATIONAL, ED_COLLEGE, ED_UNIVERSITY };
enum { W_PIPED, W_DRILLED, W_DUG, W_SPRING, W_RAIN, W_BOTTLED, W_UNPROT_WELL,
       W_UNPROT_SPRING, W_SURFACE, W_OTHER };
enum { L_SEPTIC, L_SEMI, L_POUR, L_DOUBLE, L_VIP, L_SIMPLE, L_OTHER, L_NONE };
enum { D_TV, D_RADIO, D_COMPUTER, D_SMARTPHONE, D_TABLET };
enum { S_HEALTH, S_EDUCATION, S_HOUSING, S_CREDIT, S_VOCATIONAL, S_JOBS, S_LABOUR_EXPORT,
       S_WATER, S_INFORMATION, S_PRODUCTION };
enum { C_CAPITAL, C_LAND, C_LABOUR, C_SKILLS, C_ILLNESS, C_DISABILITY, C_DEPENDANTS,
       C_DISASTER, C_OTHER };

#define LIST(...) { __VA_ARGS__, NULL }
static const char *const sex_codes[] = LIST("male", "female");
static const char *const relation_codes[] = LIST("head", "spouse", "child", "parent", "grandchild", "other");
static const char *const employment_codes[] = LIST("contract", "no_contract", "self_employed",
                                                   "unemployed", "not_working");
static const char *const education_codes[] = LIST("none", "primary", "lower_secondary", "upper_secondary",
                                                  "vocational", "college", "university");
static const char *const water_codes[] = LIST("piped", "drilled_well", "protected_dug_well",
                                              "protected_spring", "rainwater", "bottled", "unprotected_well",
                                              "unprotected_spring", "surface_water", "other");
static const char *const latrine_codes[] = LIST("septic", "semi_septic", "pour_flush", "double_vault",
                                                "ventilated_pit", "simple_pit", "other", "none");
static const char *const device_codes[] = LIST("tv", "radio", "computer", "smartphone", "tablet");
static const char *const support_codes[] = LIST("health_insurance", "education", "housing", "credit",
                                                "vocational_training", "job_placement", "labour_export",
                                                "water_sanitation", "information", "production");
static const char *const cause_codes[] = LIST("no_capital", "no_land", "no_labour", "no_skills", "illness",
                                              "disability", "many_dependants", "disaster", "other");

/* ------------------------------------------------------------------ */
/* The household as the generator works on it. */

enum { MAX_MEMBERS = 16, MAX_TEXT = 128 };

struct member {
	char name[MAX_TEXT];
	int sex, birth_year, relation, employment, education;
	bool health_insurance, in_school, disability, undernourished;
};

struct household {
	char province[16], district[16], commune[16];
	char village[MAX_TEXT], head_name[MAX_TEXT];
	char household_id[MAX_TEXT];     /* "" when the record has none */
	bool urban, agri, has_house, walls, frame, roof, internet;
	int survey_year, water, latrine;
	long long income;
	double area;
	unsigned devices, support, causes; /* bit i: code i of its list */
	int n;
	struct member m[MAX_MEMBERS];
};

#define BIT(i) (1u << (i))

static int age_of(const struct household *h, const struct member *m)
{
	return h->survey_year - m->birth_year;
}

/* Working age, by the bounds of the domain page: 15-60 men, 15-55 women. */
static bool past_working_age(int sex, int age)
{
	return age > (sex == MALE ? 60 : 55);
}

static bool is_dependant(const struct household *h, const struct member *m)
{
	int age = age_of(h, m);

	return age < 16 || past_working_age(m->sex, age) || m->disability;
}

static bool dependants_over_half(const struct household *h)
{
	int i, d = 0;

	for (i = 0; i < h->n; i++)
		d += is_dependant(h, &h->m[i]);
	return 2 * d > h->n;
}

/* The income line the generator shapes incomes around (a calibration of
 * the generator, not the standard: the rules read theirs from its file). */
static long long shaping_line(const struct household *h)
{
	return h->urban ? 2000000 : 1500000;
}

/* How poor a household is, 0 (not) to 1000 (poorest), from its income: it
 * drives deprivations, support and causes. */
static int severity(const struct household *h)
{
	long long r = h->income * 1000 / shaping_line(h);

	return r >= 1500 ? 0 : r <= 500 ? 1000 : (int)(1500 - r);
}

/* ------------------------------------------------------------------ */
/* Names. */

static const char *const family_names[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đinh", "Bùi", "Đỗ", "Mai",
	"Phan", "Ngô", "Đặng", "Dương", "Lương", "Tạ", "Trịnh", "Lã", "Hà", "Cao",
};
static const unsigned short family_w[] = {
	300, 100, 80, 80, 40, 50, 60, 50, 40, 30, 20, 15, 20, 10, 10, 10, 15, 5, 10, 10,
};
static const char *const male_middle[] = { "Văn", "Đức", "Hữu", "Xuân", "Công", "Minh", "Quang", "Thành", "Gia", "Bảo" };
static const unsigned short male_middle_old[] = { 700, 100, 80, 60, 60, 0, 0, 0, 0, 0 };
static const unsigned short male_middle_young[] = { 330, 120, 40, 30, 30, 150, 100, 80, 60, 60 };
static const char *const female_middle[] = { "Thị", "Ngọc", "Thu", "Hồng", "Thanh", "Minh", "Khánh", "Bảo" };
static const unsigned short female_middle_old[] = { 900, 40, 30, 30, 0, 0, 0, 0 };
static const unsigned short female_middle_young[] = { 520, 110, 80, 60, 80, 60, 50, 40 };
static const char *const male_given[] = {
	"Hùng", "Dũng", "Tuấn", "Minh", "Nam", "Hải", "Long", "Quân", "Sơn", "Thắng",
	"Cường", "Hưng", "Hoàng", "Khánh", "Phong", "Trung", "Đạt", "Bình", "Thành", "Tùng",
	"Huy", "Lâm", "Kiên", "Việt", "Phúc", "Hiếu", "Toàn", "Thịnh", "Tiến", "Lợi",
	"Chiến", "Đông", "Quang", "Vinh", "An", "Bảo", "Duy", "Khôi", "Nhật", "Đăng",
};
static const char *const female_given[] = {
	"Lan", "Hoa", "Hương", "Mai", "Hằng", "Hà", "Nga", "Thủy", "Linh", "Trang",
	"Huyền", "Ngọc", "Yến", "Thảo", "Nhung", "Phương", "Dung", "Hạnh", "Oanh", "Loan",
	"Liên", "Vân", "Tuyết", "Xuân", "Thu", "Hiền", "Hồng", "Anh", "Chi", "Vy",
	"My", "Ngân", "Giang", "Thơ", "Quyên", "Nhàn", "Lụa", "Tâm",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *random_family(saola_gen *g)
{
	return family_names[PICK(g, family_w)];
}

static void make_name(saola_gen *g, char *buf, const char *family, int sex, int birth_year)
{
	const char *middle, *given;
	bool young = birth_year >= 1980;

	if (sex == MALE) {
		middle = male_middle[young ? PICK(g, male_middle_young) : PICK(g, male_middle_old)];
		do
			given = male_given[range(g, 0, COUNT(male_given) - 1)];
		while (strcmp(given, middle) == 0);
	} else {
		middle = female_middle[young ? PICK(g, female_middle_young) : PICK(g, female_middle_old)];
		do
			given = female_given[range(g, 0, COUNT(female_given) - 1)];
		while (strcmp(given, middle) == 0);
	}
	snprintf(buf, MAX_TEXT, "%s %s %s", family, middle, given);
}

/* The family name: the first word of a name. */
static void family_of(const char *name, char *buf)
{
	size_t len = strcspn(name, " ");

	if (len >= MAX_TEXT)
		len = MAX_TEXT - 1;
	memcpy(buf, name, len);
	buf[len] = '\0';
}

static struct member *add_member(saola_gen *g, struct household *h, const char *family, int sex,
                                 int age, int relation)
{
	struct member *m = &h->m[h->n++];

	memset(m, 0, sizeof(*m));
	m->sex = sex;
	m->birth_year = h->survey_year - age;
	m->relation = relation;
	make_name(g, m->name, family, sex, m->birth_year);
	/* Severe disability is rare and grows with age. */
	m->disability = chance(g, age < 15 ? 5 : age < 60 ? 10 : age < 80 ? 30 : 70);
	return m;
}

/* ------------------------------------------------------------------ */
/* Who lives in the household. */

static const unsigned short size_w[] = { 90, 180, 210, 260, 140, 70, 30, 20 }; /* 1..8, mean 3.6 */
static const unsigned short head_age_small_w[] = { 180, 300, 300, 220 }; /* 2-3 members */
static const unsigned short head_age_large_w[] = { 60, 450, 340, 150 };  /* 4 or more */
static const int head_age_lo[] = { 23, 35, 50, 65 };
static const int head_age_hi[] = { 34, 49, 64, 85 };

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Children of the head: each at least 19 years younger than the younger
 * parent, one to five years apart, the youngest born this year at most. */
static void add_children(saola_gen *g, struct household *h, const char *family, int parent_age,
                         int count)
{
	int age = clamp(parent_age - range(g, 20, 32), count - 1, 40);
	int i;

	age = clamp(age, 0, parent_age - 19);
	for (i = 0; i < count; i++) {
		int after = count - i - 1;

		add_member(g, h, family, chance(g, 510) ? MALE : FEMALE, age, R_CHILD);
		if (after > 0 && age > 0)
			age -= range(g, 1, clamp(age / after, 1, 5));
	}
}

/* A parent of the head; *parent_sex is -1 before the first, the first's sex
 * before the second (of the other sex), FEMALE + 1 after both. A father
 * shares the head's family name. */
static void add_parent(saola_gen *g, struct household *h, const char *family, int head_age,
                       int *parent_sex)
{
	int sex = *parent_sex < 0 ? (chance(g, 650) ? FEMALE : MALE) : *parent_sex == MALE ? FEMALE : MALE;
	/* Each draw in a statement of its own: C leaves the order of a call's
	 * arguments to the compiler (gcc on arm64 and on x86-64 differ), and a
	 * seed must give the same households on every machine. */
	int age = clamp(head_age + range(g, 22, 34), 45, 98);
	const char *name = sex == MALE ? family : random_family(g);

	add_member(g, h, name, sex, age, R_PARENT);
	*parent_sex = *parent_sex < 0 ? sex : FEMALE + 1;
}

/* A relative of another kind, of the head's family name (drawn as
 * add_parent's are). */
static void add_relative(saola_gen *g, struct household *h, const char *family)
{
	int age = range(g, 12, 60), sex = chance(g, 500) ? MALE : FEMALE;

	add_member(g, h, family, sex, age, R_OTHER);
}

static void gen_members(saola_gen *g, struct household *h)
{
	int n = PICK(g, size_w) + 1;
	int bracket, head_age, head_sex, slots, youngest, parent_sex = -1;
	char family[MAX_TEXT], kids_family[MAX_TEXT];
	struct member *head, *spouse = NULL;

	h->n = 0;
	if (n == 1) {
		/* Mostly older people living alone, more often women. */
		head_age = chance(g, 600) ? range(g, 60, 92) : range(g, 22, 59);
		head_sex = chance(g, 620) ? FEMALE : MALE;
	} else {
		bracket = n <= 3 ? PICK(g, head_age_small_w) : PICK(g, head_age_large_w);
		head_age = range(g, head_age_lo[bracket], head_age_hi[bracket]);
		head_sex = chance(g, 780) ? MALE : FEMALE;
	}
	snprintf(family, sizeof(family), "%s", random_family(g));
	head = add_member(g, h, family, head_sex, head_age, R_HEAD);
	slots = n - 1;
	youngest = head_age;
	snprintf(kids_family, sizeof(kids_family), "%s", family);

	if (slots > 0 && chance(g, n == 2 ? 650 : head_sex == MALE ? 930 : 450)) {
		int age = head_sex == MALE ? head_age - range(g, -2, 7) : head_age + range(g, -2, 7);

		spouse = add_member(g, h, random_family(g), head_sex == MALE ? FEMALE : MALE,
		                    clamp(age, 20, 95), R_SPOUSE);
		if (spouse->sex == MALE)
			family_of(spouse->name, kids_family);
		if (age_of(h, spouse) < youngest)
			youngest = age_of(h, spouse);
		slots--;
	}
	/* Sometimes a parent of the head, rarely both. */
	if (slots > 0 && head_age <= 58 && chance(g, n >= 4 ? 200 : 100)) {
		add_parent(g, h, family, head_age, &parent_sex);
		slots--;
		if (slots > 0 && chance(g, 300)) {
			add_parent(g, h, family, head_age, &parent_sex);
			slots--;
		}
	}
	if (slots == 0)
		goto done;
	if (youngest >= 55 && slots >= 2 && chance(g, 550)) {
		/* Three generations: a grown child, maybe a child-in-law, grandchildren. */
		int cage = range(g, youngest - 34, youngest - 22);
		int csex = chance(g, 600) ? MALE : FEMALE;
		char gfamily[MAX_TEXT];
		int ages[MAX_MEMBERS], k;

		cage = clamp(cage, 21, 45);
		add_member(g, h, kids_family, csex, cage, R_CHILD);
		slots--;
		snprintf(gfamily, sizeof(gfamily), "%s", csex == MALE ? kids_family : random_family(g));
		if (slots >= 2 && chance(g, 700)) {
			int iage = clamp(cage + range(g, -5, 3), 20, 50);

			add_member(g, h, csex == MALE ? random_family(g) : gfamily,
			           csex == MALE ? FEMALE : MALE, iage, R_OTHER);
			slots--;
		}
		for (ages[0] = range(g, 0, clamp(cage - 20, 0, 15)), k = 1; k < slots; k++)
			ages[k] = range(g, 0, ages[k - 1]); /* oldest first */
		for (k = 0; k < slots; k++)
			add_member(g, h, gfamily, chance(g, 510) ? MALE : FEMALE, ages[k], R_GRANDCHILD);
		goto done;
	}
	if (slots > 0 && chance(g, 30)) {
		/* A relative of another kind: a niece, a sibling. */
		int age = range(g, 5, 70), sex = chance(g, 500) ? MALE : FEMALE;

		add_member(g, h, chance(g, 500) ? family : random_family(g), sex, age, R_OTHER);
		slots--;
	}
	/* Young parents have few children: the other places go to a parent of
	 * the head or to a relative. */
	while (slots > 1 + (youngest - 20) / 2) {
		if (parent_sex != FEMALE + 1 && head_age <= 60 && chance(g, 700))
			add_parent(g, h, family, head_age, &parent_sex);
		else
			add_relative(g, h, family);
		slots--;
	}
	if (slots > 0) {
		if (!spouse && head_sex == FEMALE && chance(g, 300))
			snprintf(kids_family, sizeof(kids_family), "%s", random_family(g));
		add_children(g, h, kids_family, youngest, slots);
	}
done:
	snprintf(h->head_name, sizeof(h->head_name), "%s", head->name);
}

/* ------------------------------------------------------------------ */
/* What each member does: school, work, insurance. f is the severity. */

static const unsigned short edu_old_w[] = { 80, 330, 380, 130, 35, 15, 30 };
static const unsigned short edu_mid_w[] = { 15, 120, 400, 250, 90, 50, 75 };
static const unsigned short edu_young_w[] = { 5, 40, 170, 330, 150, 80, 225 };
static const unsigned short edu_school_leaver_w[] = { 0, 50, 250, 560, 140, 0, 0 };
static const unsigned short tertiary_w[] = { 0, 0, 0, 0, 250, 150, 600 };

static int draw_employment(saola_gen *g, const struct household *h, const struct member *m, int f)
{
	int age = age_of(h, m);

	if (age < 15 || m->in_school)
		return E_NOT_WORKING;
	if (m->disability && chance(g, 800))
		return E_NOT_WORKING;
	if (past_working_age(m->sex, age)) {
		unsigned short w[] = { 0, 70, (unsigned short)(h->agri ? 500 : 300), 0, 550 };
		return PICK(g, w);
	}
	if (h->agri) {
		unsigned short w[] = { 120, (unsigned short)(160 + f / 5), 640, (unsigned short)(20 + f / 20),
		                       (unsigned short)(m->sex == FEMALE ? 70 : 15) };
		return PICK(g, w);
	} else {
		unsigned short w[] = { (unsigned short)(460 - f / 4), (unsigned short)(180 + f / 5), 260,
		                       (unsigned short)(30 + f / 20), (unsigned short)(m->sex == FEMALE ? 80 : 15) };
		return PICK(g, w);
	}
}

/* Education attained (or being attended) and school attendance, by age. */
static void draw_schooling(saola_gen *g, const struct household *h, struct member *m, int f)
{
	int age = age_of(h, m);

	m->in_school = false;
	m->education = ED_NONE;
	if (age < 3)
		return;
	if (age <= 5) {
		m->in_school = chance(g, 950 - f / 5);
	} else if (age <= 10) {
		m->education = ED_PRIMARY;
		m->in_school = chance(g, 995 - f / 25);
	} else if (age <= 14) {
		m->in_school = chance(g, 985 - f / 10);
		m->education = m->in_school ? ED_LOWER : ED_PRIMARY;
	} else if (age <= 17) {
		m->in_school = chance(g, 900 - f / 4);
		m->education = m->in_school ? ED_UPPER : chance(g, 750) ? ED_LOWER : ED_PRIMARY;
	} else if (age <= 22 && chance(g, 330 - f / 4)) {
		m->in_school = true;
		m->education = PICK(g, tertiary_w);
	} else {
		int by = m->birth_year;

		m->education = age <= 22 ? PICK(g, edu_school_leaver_w)
		             : by >= 1986 ? PICK(g, edu_young_w)
		             : by >= 1966 ? PICK(g, edu_mid_w) : PICK(g, edu_old_w);
		if (m->education > ED_NONE && chance(g, f * 4 / 10))
			m->education--;
		if (h->urban && m->education < ED_UNIVERSITY && chance(g, 250))
			m->education++;
		if (age <= 22 && m->education > ED_VOCATIONAL)
			m->education = ED_VOCATIONAL;
	}
}

/* insured: the chance, in permille, that a member aged 6-79 has health
 * insurance. */
static void draw_member_details(saola_gen *g, struct household *h, int insured, int f)
{
	int i;

	for (i = 0; i < h->n; i++) {
		struct member *m = &h->m[i];
		int age = age_of(h, m);

		draw_schooling(g, h, m, f);
		m->employment = draw_employment(g, h, m, f);
		/* Children under 6 and people over 80 are insured by the state. */
		m->health_insurance = age < 6 || age >= 80 || chance(g, insured);
		m->undernourished = age < 16 && chance(g, 25 + f * 130 / 1000);
	}
}

/* ------------------------------------------------------------------ */
/* Income: a log-normal spread (sigma 0.6) around a median, read from a
 * table of the normal distribution so that no floating-point library
 * function shapes the output: cdf is P(Z <= z) * 2^32 at z = -3.5, -3.25,
 * ..., 3.5 and mult is exp(0.6 z) in permille; between knots, linear. */

static const uint32_t income_cdf[] = {
	0, 999134, 2478304, 5797768, 12797986, 26670309, 52503710, 97711073, 172052769,
	286934745, 453762323, 681419127, 973357067, 1325158638, 1723543207, 2147483648u,
	2571424088u, 2969808657u, 3321610228u, 3613548168u, 3841204972u, 4008032550u,
	4122914526u, 4197256222u, 4242463585u, 4268296986u, 4282169309u, 4289169527u,
	4292488991u, 4293968161u, 4294967295u,
};
static const uint32_t income_mult[] = {
	60, 122, 142, 165, 192, 223, 259, 301, 350, 407, 472, 549, 638, 741, 861, 1000,
	1162, 1350, 1568, 1822, 2117, 2460, 2858, 3320, 3857, 4482, 5207, 6050, 7029, 8166, 9500,
};

static uint32_t income_multiplier(uint32_t u)
{
	int i = 1;

	while (i < COUNT(income_cdf) - 1 && u > income_cdf[i])
		i++;
	return income_mult[i - 1] + (uint32_t)((uint64_t)(income_mult[i] - income_mult[i - 1]) *
	                                       (u - income_cdf[i - 1]) / (income_cdf[i] - income_cdf[i - 1]));
}

/* Per person and month, to the nearest 10,000 VND, at most the household
 * form's plausible maximum (100,000,000), which years of growth could
 * otherwise pass. */
static long long round_income(long long v)
{
	v = (v + 5000) / 10000 * 10000;
	return v < 150000 ? 150000 : v > 100000000 ? 100000000 : v;
}

/* ------------------------------------------------------------------ */
/* The dwelling and its services; f is the severity. */

static const unsigned short water_rural_w[] = { 520, 300, 60, 20, 80, 20 };
static const unsigned short water_urban_w[] = { 900, 60, 0, 0, 20, 20 };
static const unsigned short water_bad_w[] = { 450, 100, 300, 150 };
static const unsigned short latrine_good_w[] = { 700, 150, 80, 50, 20 };
static const unsigned short latrine_bad_w[] = { 700, 150, 150 };

static double area_value(saola_gen *g, int tenths)
{
	/* Mostly whole square metres, sometimes a half. */
	tenths = tenths / 10 * 10 + (chance(g, 100) ? 5 : 0);
	return tenths / 10.0;
}

static void draw_dwelling(saola_gen *g, struct household *h, int f)
{
	int r;

	h->has_house = chance(g, 997 - f * 25 / 1000);
	h->walls = h->frame = h->roof = h->has_house;
	if (!h->has_house) {
		h->area = 0;
		return;
	}
	r = range(g, 0, 999);
	if (r < 8 + f * 300 / 1000) {
		/* A temporary house: two or three main parts not durable. */
		int keep = chance(g, 400) ? -1 : range(g, 0, 2);

		h->walls = keep == 0;
		h->frame = keep == 1;
		h->roof = keep == 2;
	} else if (r < 70 + f * 400 / 1000) {
		int which = range(g, 0, 9);

		if (which < 6)
			h->roof = false;
		else if (which < 9)
			h->walls = false;
		else
			h->frame = false;
	}
	if (chance(g, 10 + f * 150 / 1000)) {
		/* Crowded: under 8 square metres a person. */
		h->area = area_value(g, h->n * range(g, 35, 79));
		if (h->area < 1)
			h->area = 1;
	} else {
		int base = h->urban ? 30 + 12 * h->n : 45 + 15 * h->n;
		int tenths = (base + range(g, -10, 60)) * 10;

		if (tenths < 85 * h->n)
			tenths = 85 * h->n + range(g, 0, 200);
		h->area = area_value(g, tenths);
	}
}

static void draw_services(saola_gen *g, struct household *h, int f)
{
	bool young = false;
	int i;

	if (chance(g, 10 + f * 180 / 1000))
		h->water = W_UNPROT_WELL + PICK(g, water_bad_w);
	else
		h->water = h->urban ? PICK(g, water_urban_w) : PICK(g, water_rural_w);
	if (chance(g, 25 + f * 380 / 1000))
		h->latrine = L_SIMPLE + PICK(g, latrine_bad_w);
	else
		h->latrine = PICK(g, latrine_good_w);

	for (i = 0; i < h->n; i++) {
		int age = age_of(h, &h->m[i]);

		if (age >= 12 && age <= 65)
			young = true;
	}
	h->internet = young ? !chance(g, 40 + f * 380 / 1000 - (h->urban ? 20 : 0)) : !chance(g, 600);
	h->devices = 0;
	if (h->internet) {
		if (chance(g, 960))
			h->devices |= BIT(D_SMARTPHONE);
		if (chance(g, 880 - f * 250 / 1000))
			h->devices |= BIT(D_TV);
		if (chance(g, (h->urban ? 380 : 180) * (1000 - f) / 1000))
			h->devices |= BIT(D_COMPUTER);
		if (chance(g, 60))
			h->devices |= BIT(D_TABLET);
	} else {
		if (chance(g, 150))
			h->devices |= BIT(D_SMARTPHONE);
		if (chance(g, 850 - f * 250 / 1000))
			h->devices |= BIT(D_TV);
	}
	if (chance(g, 50))
		h->devices |= BIT(D_RADIO);
}

/* ------------------------------------------------------------------ */
/* Support received and causes of poverty: mostly for low incomes. */

static bool housing_poor(const struct household *h)
{
	return !h->has_house || h->walls + h->frame + h->roof <= 1;
}

static bool any_member(const struct household *h, bool (*pred)(const struct household *, const struct member *))
{
	int i;

	for (i = 0; i < h->n; i++)
		if (pred(h, &h->m[i]))
			return true;
	return false;
}

static bool studying(const struct household *h, const struct member *m)
{
	(void)h;
	return m->in_school;
}

static bool disabled(const struct household *h, const struct member *m)
{
	(void)h;
	return m->disability;
}

static bool frail(const struct household *h, const struct member *m)
{
	return m->disability || age_of(h, m) >= 65;
}

static void draw_support(saola_gen *g, struct household *h)
{
	bool low = h->income <= shaping_line(h) * 13 / 10;

	h->support = 0;
	if (low) {
		int w[] = { 900, any_member(h, studying) ? 550 : 0, housing_poor(h) ? 350 : 10, 350, 100, 50, 15,
		            h->water >= W_UNPROT_WELL || h->latrine >= L_SIMPLE ? 250 : 40, 200,
		            h->agri ? 300 : 80 };
		int i;

		for (i = 0; i < COUNT(w); i++)
			if (chance(g, w[i]))
				h->support |= BIT(i);
	} else {
		if (chance(g, 20))
			h->support |= BIT(S_HEALTH);
		if (chance(g, 40))
			h->support |= BIT(S_CREDIT);
		if (h->agri && chance(g, 30))
			h->support |= BIT(S_PRODUCTION);
		if (chance(g, 10))
			h->support |= BIT(S_INFORMATION);
	}
}

static void draw_causes(saola_gen *g, struct household *h)
{
	h->causes = 0;
	if (h->income <= shaping_line(h) * 12 / 10) {
		bool many = dependants_over_half(h);
		int w[] = { 600, h->agri ? 250 : 100, many ? 650 : 80, 300, any_member(h, frail) ? 350 : 120,
		            any_member(h, disabled) ? 700 : 0, many ? 450 : 60, 40, 40 };
		int i;

		for (i = 0; i < COUNT(w); i++)
			if (chance(g, w[i]))
				h->causes |= BIT(i);
		if (!h->causes)
			h->causes = BIT(C_CAPITAL);
	} else if (chance(g, 20)) {
		static const int some[] = { C_CAPITAL, C_SKILLS, C_ILLNESS };

		h->causes = BIT(some[range(g, 0, 2)]);
	}
}

/* ------------------------------------------------------------------ */
/* Records as JSON, in the field order of household-record.md. */

static json_t *code_list(unsigned bits, const char *const *codes)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a && codes[i]; i++)
		if ((bits & BIT(i)) && json_array_append_new(a, json_string(codes[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *member_to_json(const struct member *m)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= json_object_set_new(o, "name", json_string(m->name));
	rc |= json_object_set_new(o, "sex", json_string(sex_codes[m->sex]));
	rc |= json_object_set_new(o, "birth_year", json_integer(m->birth_year));
	rc |= json_object_set_new(o, "relation", json_string(relation_codes[m->relation]));
	rc |= json_object_set_new(o, "health_insurance", json_boolean(m->health_insurance));
	rc |= json_object_set_new(o, "employment", json_string(employment_codes[m->employment]));
	rc |= json_object_set_new(o, "education", json_string(education_codes[m->education]));
	rc |= json_object_set_new(o, "in_school", json_boolean(m->in_school));
	rc |= json_object_set_new(o, "disability", json_boolean(m->disability));
	rc |= json_object_set_new(o, "undernourished", json_boolean(m->undernourished));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *household_to_json(const struct household *h)
{
	json_t *o = json_object(), *members = json_array();
	int rc = 0, i;
	double whole = (double)(long long)h->area;

	if (!o || !members)
		goto fail;
	for (i = 0; i < h->n; i++)
		if (json_array_append_new(members, member_to_json(&h->m[i])) != 0)
			goto fail;
	rc |= json_object_set_new(o, "province", json_string(h->province));
	if (h->district[0]) /* none from 2025: no districts */
		rc |= json_object_set_new(o, "district", json_string(h->district));
	rc |= json_object_set_new(o, "commune", json_string(h->commune));
	rc |= json_object_set_new(o, "village", json_string(h->village));
	if (h->household_id[0])
		rc |= json_object_set_new(o, "household_id", json_string(h->household_id));
	rc |= json_object_set_new(o, "area", json_string(h->urban ? "urban" : "rural"));
	rc |= json_object_set_new(o, "survey_year", json_integer(h->survey_year));
	rc |= json_object_set_new(o, "head_name", json_string(h->head_name));
	rc |= json_object_set_new(o, "agri_household", json_boolean(h->agri));
	rc |= json_object_set_new(o, "income_per_capita", json_integer(h->income));
	rc |= json_object_set_new(o, "has_house", json_boolean(h->has_house));
	rc |= json_object_set_new(o, "walls_durable", json_boolean(h->walls));
	rc |= json_object_set_new(o, "frame_durable", json_boolean(h->frame));
	rc |= json_object_set_new(o, "roof_durable", json_boolean(h->roof));
	rc |= json_object_set_new(o, "house_area_m2",
	                          whole == h->area ? json_integer((json_int_t)whole) : json_real(h->area));
	rc |= json_object_set_new(o, "water_source", json_string(water_codes[h->water]));
	rc |= json_object_set_new(o, "latrine", json_string(latrine_codes[h->latrine]));
	rc |= json_object_set_new(o, "internet_use", json_boolean(h->internet));
	rc |= json_object_set_new(o, "info_devices", code_list(h->devices, device_codes));
	rc |= json_object_set_new(o, "support_received", code_list(h->support, support_codes));
	rc |= json_object_set_new(o, "poverty_causes", code_list(h->causes, cause_codes));
	rc |= json_object_set_new(o, "members", members);
	members = NULL; /* owned by o, even when the call failed */
	if (rc)
		goto fail;
	return o;
fail:
	json_decref(members);
	json_decref(o);
	return NULL;
}

/* Reading a record back (for next_year): every entered field, of its type,
 * with a value from its code list; -1 otherwise. */

static int code_index(const json_t *v, const char *const *codes)
{
	const char *s = json_string_value(v);
	int i;

	for (i = 0; s && codes[i]; i++)
		if (strcmp(s, codes[i]) == 0)
			return i;
	return -1;
}

static int code_bits(const json_t *a, const char *const *codes, unsigned *bits)
{
	size_t i;
	json_t *v;

	*bits = 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v) {
		int k = code_index(v, codes);

		if (k < 0)
			return -1;
		*bits |= BIT(k);
	}
	return 0;
}

static int text(const json_t *o, const char *key, char *buf, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= size)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int flag(const json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

static int integer(const json_t *o, const char *key, long long lo, long long hi, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int member_from_json(const json_t *o, struct member *m)
{
	long long by = 0;
	int rc = 0;

	rc |= text(o, "name", m->name, sizeof(m->name));
	rc |= integer(o, "birth_year", 1800, 2300, &by);
	m->birth_year = (int)by;
	rc |= (m->sex = code_index(json_object_get(o, "sex"), sex_codes)) < 0;
	rc |= (m->relation = code_index(json_object_get(o, "relation"), relation_codes)) < 0;
	rc |= (m->employment = code_index(json_object_get(o, "employment"), employment_codes)) < 0;
	rc |= (m->education = code_index(json_object_get(o, "education"), education_codes)) < 0;
	rc |= flag(o, "health_insurance", &m->health_insurance);
	rc |= flag(o, "in_school", &m->in_school);
	rc |= flag(o, "disability", &m->disability);
	rc |= flag(o, "undernourished", &m->undernourished);
	return rc ? -1 : 0;
}

static int household_from_json(const json_t *o, struct household *h)
{
	json_t *members = json_object_get(o, "members"), *v;
	const char *area = json_string_value(json_object_get(o, "area"));
	json_t *house_area = json_object_get(o, "house_area_m2");
	long long year = 0;
	size_t i;
	int rc = 0;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(o) || !json_is_array(members) || json_array_size(members) == 0 ||
	    json_array_size(members) > MAX_MEMBERS || !area || !json_is_number(house_area))
		return -1;
	rc |= text(o, "province", h->province, sizeof(h->province));
	if (json_object_get(o, "district"))
		rc |= text(o, "district", h->district, sizeof(h->district));
	rc |= text(o, "commune", h->commune, sizeof(h->commune));
	rc |= text(o, "village", h->village, sizeof(h->village));
	rc |= text(o, "head_name", h->head_name, sizeof(h->head_name));
	if (json_object_get(o, "household_id"))
		rc |= text(o, "household_id", h->household_id, sizeof(h->household_id));
	rc |= strcmp(area, "urban") != 0 && strcmp(area, "rural") != 0;
	h->urban = strcmp(area, "urban") == 0;
	rc |= integer(o, "survey_year", 1900, 2299, &year);
	h->survey_year = (int)year;
	rc |= flag(o, "agri_household", &h->agri);
	rc |= integer(o, "income_per_capita", 0, 1000000000000LL, &h->income);
	rc |= flag(o, "has_house", &h->has_house);
	rc |= flag(o, "walls_durable", &h->walls);
	rc |= flag(o, "frame_durable", &h->frame);
	rc |= flag(o, "roof_durable", &h->roof);
	h->area = json_number_value(house_area);
	rc |= (h->water = code_index(json_object_get(o, "water_source"), water_codes)) < 0;
	rc |= (h->latrine = code_index(json_object_get(o, "latrine"), latrine_codes)) < 0;
	rc |= flag(o, "internet_use", &h->internet);
	rc |= code_bits(json_object_get(o, "info_devices"), device_codes, &h->devices);
	rc |= code_bits(json_object_get(o, "support_received"), support_codes, &h->support);
	rc |= code_bits(json_object_get(o, "poverty_causes"), cause_codes, &h->causes);
	json_array_foreach(members, i, v) {
		rc |= member_from_json(v, &h->m[i]);
		h->n++;
	}
	for (i = 0; i < (size_t)h->n && h->m[i].relation != R_HEAD; i++)
		;
	rc |= i == (size_t)h->n; /* a household has a head */
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* A new household. */

/* The household's code, kept from one yearly review to the next: the
 * commune and 10 hex digits hashed from the generator's state, which is
 * read, not advanced, so that turning codes on changes no other answer. */
static void make_household_id(const saola_gen *g, struct household *h)
{
	uint64_t x = g->s[0] ^ rotl(g->s[1], 16) ^ rotl(g->s[2], 32) ^ rotl(g->s[3], 48);

	snprintf(h->household_id, sizeof(h->household_id), "%s-%010llx", h->commune,
	         (unsigned long long)(splitmix64(&x) >> 24));
}

json_t *saola_gen_household(saola_gen *g, const saola_gen_opts *opts)
{
	static const saola_gen_opts defaults = { NULL, NULL, NULL, 0 };
	const struct gen_commune *c;
	int year;
	struct household h;
	uint64_t u;
	long long median;
	int f, insured;

	if (!g)
		return NULL;
	if (!opts)
		opts = &defaults;
	year = opts->survey_year ? opts->survey_year : 2024;
	if (!(c = saola__gen_pick_commune(g, year, opts)))
		return NULL;
	memset(&h, 0, sizeof(h));
	snprintf(h.province, sizeof(h.province), "%s", c->province);
	snprintf(h.district, sizeof(h.district), "%s", c->district);
	snprintf(h.commune, sizeof(h.commune), "%s", c->code);
	h.urban = c->urban;
	h.survey_year = year;
	pick_village(g, c, h.village, sizeof(h.village));
	gen_members(g, &h);

	/* Welfare: a rank in the income distribution, lower when dependants
	 * outnumber earners or the household is large. */
	u = saola_gen_below(g, (uint64_t)1 << 32);
	if (dependants_over_half(&h))
		u -= u / 4;
	if (h.n >= 6)
		u -= u / 8;
	median = h.urban ? 5200000 : 3900000;
	h.income = round_income(median * income_multiplier((uint32_t)u) / 1000);
	f = severity(&h);

	h.agri = chance(g, h.urban ? 60 + f / 10 : 450 + f * 3 / 10);
	/* Low incomes get insurance from the state; elsewhere most households
	 * insure everyone, some only about half. */
	insured = h.income <= shaping_line(&h) * 13 / 10 ? 970 : chance(g, 860) ? 1000 : 550;
	draw_member_details(g, &h, insured, f);
	draw_dwelling(g, &h, f);
	draw_services(g, &h, f);
	draw_support(g, &h);
	draw_causes(g, &h);
	if (g->household_ids)
		make_household_id(g, &h);
	return household_to_json(&h);
}

/* ------------------------------------------------------------------ */
/* A year later. */

/* Deaths a year per thousand, by age. */
static int mortality(int age)
{
	return age < 60 ? 2 : age < 70 ? 12 : age < 80 ? 35 : age < 90 ? 90 : 200;
}

static bool earning(const struct member *m)
{
	return m->employment <= E_SELF;
}

static void remove_member(struct household *h, int i)
{
	memmove(&h->m[i], &h->m[i + 1], (size_t)(h->n - i - 1) * sizeof(h->m[0]));
	h->n--;
}

static void add_birth(saola_gen *g, struct household *h, long long total)
{
	int i, mother = -1, father = -1;
	char family[MAX_TEXT];
	struct member *m;

	(void)total;
	for (i = 0; i < h->n && mother < 0; i++) {
		int age = age_of(h, &h->m[i]), rel = h->m[i].relation;

		if (h->m[i].sex == FEMALE && age >= 20 && age <= 42 &&
		    (rel == R_HEAD || rel == R_SPOUSE || rel == R_CHILD))
			mother = i;
	}
	if (mother < 0 || !chance(g, 70))
		return;
	if (h->m[mother].relation != R_CHILD)
		for (i = 0; i < h->n; i++)
			if (h->m[i].sex == MALE && (h->m[i].relation == R_HEAD || h->m[i].relation == R_SPOUSE))
				father = i;
	family_of(h->m[father >= 0 ? father : mother].name, family);
	m = add_member(g, h, family, chance(g, 510) ? MALE : FEMALE, 0,
	               h->m[mother].relation == R_CHILD ? R_GRANDCHILD : R_CHILD);
	m->disability = false;
	m->health_insurance = true;
	m->employment = E_NOT_WORKING;
	m->undernourished = chance(g, 30);
}

/* A member a year older: school moves on, work starts and stops. */
static void age_member(saola_gen *g, const struct household *h, struct member *m, int f)
{
	int age = age_of(h, m);

	if (age >= 3 && age <= 5 && !m->in_school)
		m->in_school = chance(g, 600);
	if (age >= 6 && age <= 14 && m->in_school) {
		int level = age <= 10 ? ED_PRIMARY : ED_LOWER;

		if (m->education < level)
			m->education = level;
	}
	if (age >= 15 && age <= 17 && m->in_school && m->education < ED_UPPER) {
		if (chance(g, 900 - f / 4))
			m->education = ED_UPPER;
		else
			m->in_school = false;
	}
	if (age >= 18 && m->in_school && m->education <= ED_UPPER) {
		if (age <= 22 && chance(g, 330 - f / 4))
			m->education = PICK(g, tertiary_w);
		else
			m->in_school = false;
	} else if (age >= 21 && m->in_school && chance(g, age >= 24 ? 1000 : 400)) {
		m->in_school = false;
	}
	if (age >= 16 || m->undernourished)
		m->undernourished = age < 16 && chance(g, 550);
	else
		m->undernourished = chance(g, 10 + f / 20);
	if (!m->health_insurance)
		m->health_insurance = age < 6 || chance(g, 250);
	else if (age >= 6 && chance(g, 10))
		m->health_insurance = false;
	if (!m->disability && age >= 60)
		m->disability = chance(g, 8);

	if (age < 15 || m->in_school)
		m->employment = E_NOT_WORKING;
	else if (m->employment == E_NOT_WORKING && age <= 25 && !m->disability)
		m->employment = draw_employment(g, h, m, f);
	else if (past_working_age(m->sex, age) && m->employment != E_NOT_WORKING && chance(g, 150))
		m->employment = E_NOT_WORKING;
	else if (!past_working_age(m->sex, age) && chance(g, 60))
		m->employment = draw_employment(g, h, m, f);
}

static void move_on(saola_gen *g, struct household *h)
{
	long long total = h->income * h->n;
	int factor, i, f;

	/* Income: a few percent up in a typical year, with shocks both ways;
	 * support lifts some of the poorest. */
	factor = 1040 + range(g, -120, 120) + range(g, -120, 120);
	if (chance(g, 30))
		factor = range(g, 550, 800);
	else if (chance(g, 30))
		factor = range(g, 1250, 1600);
	if (h->income <= shaping_line(h) && chance(g, 250))
		factor += 200;
	total = total * factor / 1000;

	for (i = h->n - 1; i >= 0; i--) {
		struct member *m = &h->m[i];
		int age = age_of(h, m);
		bool leaves = m->relation != R_HEAD &&
		              (chance(g, mortality(age)) ||
		               ((m->relation == R_CHILD || m->relation == R_GRANDCHILD || m->relation == R_OTHER) &&
		                age >= 20 && age <= 40 && !m->in_school && chance(g, 30)));

		if (leaves) {
			if (earning(m))
				total -= total / h->n;
			remove_member(h, i);
		}
	}
	if (h->n < 8)
		add_birth(g, h, total);
	h->income = round_income(total / h->n);
	f = severity(h);

	for (i = 0; i < h->n; i++)
		age_member(g, h, &h->m[i], f);
	if (h->agri && chance(g, 30))
		h->agri = false;
	if (!h->has_house && chance(g, 200)) {
		h->has_house = h->walls = h->frame = h->roof = true;
		h->area = 15 * h->n + 20;
	} else if (housing_poor(h) && chance(g, 120)) {
		h->walls = h->frame = h->roof = true;
	}
	if (h->water >= W_UNPROT_WELL && chance(g, 80))
		h->water = h->urban ? W_PIPED : W_DRILLED;
	if (h->latrine >= L_SIMPLE && chance(g, 100))
		h->latrine = L_SEPTIC;
	if (!h->internet && chance(g, 150))
		h->internet = true;
	if (h->internet)
		h->devices |= BIT(D_SMARTPHONE);
	if (!(h->devices & BIT(D_TV)) && chance(g, 50))
		h->devices |= BIT(D_TV);
	if (!(h->devices & BIT(D_COMPUTER)) && chance(g, 30 * (1000 - f) / 1000))
		h->devices |= BIT(D_COMPUTER);
	draw_support(g, h);
	draw_causes(g, h);
}

/* Moves h's places into its year's units (h->survey_year already that
 * year): the commune its one of the year before went into, its district
 * (none in units without districts), province and area. 0, or -1. */
static int move_places(const saola_gen *g, struct household *h)
{
	struct gen_commune c;

	if (saola__gen_move_commune(g, h->survey_year, h->commune, &c) != 0)
		return -1;
	snprintf(h->commune, sizeof(h->commune), "%s", c.code);
	snprintf(h->district, sizeof(h->district), "%s", c.district);
	snprintf(h->province, sizeof(h->province), "%s", c.province);
	h->urban = c.urban;
	return 0;
}

/* Also NULL when household is not a record of the household form (every
 * entered field, of its type, from its code lists, 1-16 members, a head),
 * or its commune is not a unit of its year that the units lead anywhere. */
json_t *saola_gen_next_year(saola_gen *g, const json_t *household)
{
	struct household h;

	if (!g || household_from_json(household, &h) != 0)
		return NULL;
	h.survey_year++;
	if (move_places(g, &h) != 0)
		return NULL;
	move_on(g, &h);
	return household_to_json(&h);
}

/* ------------------------------------------------------------------ */

void saola_gen_reseed(saola_gen *g, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	if (!g)
		return;
	for (i = 0; i < 4; i++)
		g->s[i] = splitmix64(&x);
}

saola_gen *saola_gen_new_schemas(uint64_t seed, const char *schemas_dir, char *err, size_t errlen)
{
	saola_gen *g = calloc(1, sizeof(*g));

	if (!g) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	saola_gen_reseed(g, seed);
	if (saola__gen_units_load(&g->units, schemas_dir, err, errlen) != 0 ||
	    saola__gen_check_params(&g->units, err, errlen) != 0) {
		saola_gen_free(g);
		return NULL;
	}
	return g;
}

saola_gen *saola_gen_new(uint64_t seed)
{
	return saola_gen_new_schemas(seed, NULL, NULL, 0);
}

void saola_gen_set_household_ids(saola_gen *g, int on)
{
	if (g)
		g->household_ids = on != 0;
}

void saola_gen_free(saola_gen *g)
{
	if (!g)
		return;
	saola__gen_years_free(g);
	saola__gen_units_free(&g->units);
	free(g);
}
