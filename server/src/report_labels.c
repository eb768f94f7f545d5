/* report_labels.c: the indicators, causes and supports that reports count
 * by, with their labels (household-record.md and the household form). */
#include <string.h>

#include "report_labels.h"

const saola__label saola__indicators[SAOLA__N_INDICATORS] = {
	{"employment", "Việc làm", "Employment"},
	{"dependants", "Người phụ thuộc", "Dependants"},
	{"nutrition", "Dinh dưỡng", "Nutrition"},
	{"health_insurance", "Bảo hiểm y tế", "Health insurance"},
	{"adult_education", "Trình độ giáo dục người lớn", "Adult education"},
	{"child_school", "Tình trạng đi học của trẻ em", "Children's schooling"},
	{"housing_quality", "Chất lượng nhà ở", "Housing quality"},
	{"housing_area", "Diện tích nhà ở bình quân", "Housing area"},
	{"water", "Nguồn nước sinh hoạt", "Drinking water"},
	{"latrine", "Nhà tiêu hợp vệ sinh", "Hygienic latrine"},
	{"telecom", "Sử dụng dịch vụ viễn thông", "Telecom services"},
	{"info_devices", "Phương tiện tiếp cận thông tin", "Information devices"},
};

const saola__label saola__causes[SAOLA__N_CAUSES] = {
	{"no_capital", "Thiếu vốn", "No capital"},
	{"no_land", "Thiếu đất sản xuất", "No land"},
	{"no_labour", "Thiếu lao động", "No labour"},
	{"no_skills", "Thiếu kiến thức, kỹ năng", "No skills"},
	{"illness", "Ốm đau, bệnh nặng", "Illness"},
	{"disability", "Khuyết tật", "Disability"},
	{"many_dependants", "Đông người ăn theo", "Many dependants"},
	{"disaster", "Thiên tai, rủi ro", "Disaster"},
	{"other", "Khác", "Other"},
};

const saola__label saola__supports[SAOLA__N_SUPPORTS] = {
	{"health_insurance", "Bảo hiểm y tế", "Health insurance"},
	{"education", "Giáo dục", "Education"},
	{"housing", "Nhà ở", "Housing"},
	{"credit", "Tín dụng ưu đãi", "Preferential credit"},
	{"vocational_training", "Đào tạo nghề", "Vocational training"},
	{"job_placement", "Giới thiệu việc làm", "Job placement"},
	{"labour_export", "Xuất khẩu lao động", "Labour export"},
	{"water_sanitation", "Nước sạch và vệ sinh", "Clean water and sanitation"},
	{"information", "Thông tin", "Information"},
	{"production", "Hỗ trợ sản xuất, sinh kế", "Production and livelihood"},
};

int saola__label_index(const saola__label *list, int n, const char *code, int len)
{
	int i;

	for (i = 0; i < n; i++)
		if ((int)strlen(list[i].code) == len && memcmp(list[i].code, code, (size_t)len) == 0)
			return i;
	return -1;
}

int saola__class_of(const char *code, int len)
{
	static const char *const classes[] = {"poor", "near_poor", "average", "not_poor"};
	int i;

	for (i = 0; i < 4; i++)
		if ((int)strlen(classes[i]) == len && memcmp(classes[i], code, (size_t)len) == 0)
			return SAOLA__CLASS_POOR + i;
	return SAOLA__CLASS_NONE;
}

const saola__label saola__classes[4] = {
	{"poor", "Hộ nghèo", "Poor"},
	{"near_poor", "Hộ cận nghèo", "Near-poor"},
	{"average", "Hộ có mức sống trung bình", "Average living standard"},
	{"not_poor", "Hộ không thuộc các diện trên", "None of these"},
};
