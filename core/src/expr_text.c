/* expr_text.c: text and numbers for the expression engine: UTF-8, the text
 * of JSON values, and numbers read, printed and rounded as XPath and ODK do,
 * locale-independently. */
#define SAOLA__EXPR_PRIVATE
#include "expr.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saola/core.h>

void *saola__expr_malloc(size_t size)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	return m(size);
}

void saola__expr_mfree(void *ptr)
{
	json_malloc_t m;
	json_free_t f;

	if (!ptr)
		return;
	json_get_alloc_funcs(&m, &f);
	f(ptr);
}

static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Exact in the common case (at most 2^53 and 22 decimal places, where one
 * IEEE operation rounds correctly); otherwise strtod on "<digits>e<exp>",
 * which has no decimal point for the locale to disagree about. */
double saola__expr_dec(const char *s, size_t n)
{
	uint64_t m = 0;
	int sig = 0, e10 = 0, frac = 0;
	size_t i;
	char buf[48];

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			frac = 1;
		} else if (sig < 19) {
			m = m * 10 + (uint64_t)(s[i] - '0');
			sig += m != 0;
			e10 -= frac;
		} else {
			e10 += !frac;
		}
	}
	if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22)
		return e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
	snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)m, e10);
	return strtod(buf, NULL);
}

static int days_in_month(long y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's). */
static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Reads exactly "YYYY-MM-DD" (10 bytes) into *days; 0 if it is not one. */
static int date_days(const char *s, long *days)
{
	long y = 0;
	int i, m, d;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : !saola__expr_is_digit(s[i]))
			return 0;
	for (i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return 0;
	*days = days_from_civil(y, m, d);
	return 1;
}

double saola__expr_str_num(const char *s, size_t n)
{
	size_t i;
	int digits = 0, dots = 0, neg = 0;
	long days;
	double x;

	for (; n && saola__expr_is_space((unsigned char)*s); s++, n--)
		;
	for (; n && saola__expr_is_space((unsigned char)s[n - 1]); n--)
		;
	if (n == 10 && date_days(s, &days))
		return (double)days;
	if (n && *s == '-') {
		neg = 1;
		s++, n--;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && !dots)
			dots = 1;
		else if (saola__expr_is_digit(s[i]))
			digits++;
		else
			return NAN;
	}
	if (!digits)
		return NAN;
	x = saola__expr_dec(s, n);
	return neg ? -x : x;
}

/* The shortest decimal digits that read back as x (finite, > 0): writes
 * them to dig, returns their count, and sets *point so that x is
 * 0.dig * 10^point. 15 digits always read back when a shorter form does
 * (DBL_DIG), so it takes at most three tries. */
static int shortest(double x, char dig[20], int *point)
{
	char buf[48];
	const char *c;
	int p, k = 0, e = 0, neg;

	for (p = 15;; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, x);
		if (p == 17 || strtod(buf, NULL) == x)
			break;
	}
	/* the decimal point is the locale's: take the digits around it */
	for (c = buf; *c && *c != 'e'; c++)
		if (saola__expr_is_digit(*c))
			dig[k++] = *c;
	neg = c[1] == '-';
	for (c += 2; saola__expr_is_digit(*c); c++)
		e = e * 10 + (*c - '0');
	while (k > 1 && dig[k - 1] == '0')
		k--;
	dig[k] = '\0';
	*point = (neg ? -e : e) + 1;
	return k;
}

size_t saola__expr_fmt_num(double x, char nb[SAOLA__EXPR_NUMBUF])
{
	char dig[20];
	int k, n, i;
	size_t o = 0;

	if (isnan(x))
		return (size_t)snprintf(nb, SAOLA__EXPR_NUMBUF, "NaN");
	if (isinf(x))
		return (size_t)snprintf(nb, SAOLA__EXPR_NUMBUF, "%s",
		                        x > 0 ? "Infinity" : "-Infinity");
	if (fabs(x) < 9007199254740992.0 && x == trunc(x))
		return (size_t)snprintf(nb, SAOLA__EXPR_NUMBUF, "%lld",
		                        (long long)x);
	if (x < 0) {
		nb[o++] = '-';
		x = -x;
	}
	k = shortest(x, dig, &n);
	if (k <= n && n <= 21) {
		for (i = 0; i < n; i++)
			nb[o++] = i < k ? dig[i] : '0';
	} else if (n > 0 && n <= 21) {
		for (i = 0; i < k; i++) {
			if (i == n)
				nb[o++] = '.';
			nb[o++] = dig[i];
		}
	} else if (n > -6 && n <= 0) {
		nb[o++] = '0';
		nb[o++] = '.';
		for (i = 0; i < -n; i++)
			nb[o++] = '0';
		for (i = 0; i < k; i++)
			nb[o++] = dig[i];
	} else {
		nb[o++] = dig[0];
		if (k > 1)
			nb[o++] = '.';
		for (i = 1; i < k; i++)
			nb[o++] = dig[i];
		o += (size_t)snprintf(nb + o, SAOLA__EXPR_NUMBUF - o, "e%c%d",
		                      n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	nb[o] = '\0';
	return o;
}

/* Works on x's shortest decimal form, so that round(1.005, 2) is 1.01 as
 * the surveyor reads it, not 1.00 as the binary value would give. */
double saola__expr_round(double x, double places)
{
	char dig[20];
	int k, n, keep, i, up;
	long d;
	uint64_t m = 0;
	double r, f;

	if (isnan(places))
		return NAN;
	if (isnan(x) || isinf(x) || x == 0)
		return x;
	d = places > 400 ? 400 : places < -400 ? -400 : (long)places;
	/* Fast path: when |x| * 10^d is clearly not near a half (further than
	 * its few ulps of error), the binary value decides as the digits do. */
	if (d >= -22 && d <= 22) {
		r = d >= 0 ? fabs(x) * p10[d] : fabs(x) / p10[-d];
		f = floor(r);
		if (r < 4503599627370496.0 /* 2^52 */ &&
		    fabs(r - f - 0.5) > 8 * DBL_EPSILON * (r + 1)) {
			f += r - f > 0.5;
			r = d >= 0 ? f / p10[d] : f * p10[-d];
			return x < 0 ? -r : r;
		}
	}
	k = shortest(fabs(x), dig, &n);
	if (n + d >= k)
		return x;
	if (n + d < 0)
		return x < 0 ? -0.0 : 0.0;
	keep = (int)(n + d);
	for (i = 0; i < keep; i++)
		m = m * 10 + (uint64_t)(dig[i] - '0');
	/* dig has no trailing zeros: a digit after the 5 makes it over half */
	if (dig[keep] != '5')
		up = dig[keep] > '5';
	else
		up = x > 0 || keep + 1 < k;
	m += (uint64_t)up;
	if (d >= 0)
		r = (double)m / (d <= 22 ? p10[d] : pow(10, (double)d));
	else
		r = (double)m * (-d <= 22 ? p10[-d] : pow(10, (double)-d));
	return x < 0 ? -r : r;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */

/* Rejects overlong forms, surrogates and code points above U+10FFFF. */
size_t saola__expr_utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned long c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 1, min = 0x80, c &= 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 2, min = 0x800, c &= 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 3, min = 0x10000, c &= 0x07;
		else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			c = c << 6 | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

size_t saola__expr_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

size_t saola__expr_utf8_offset(const char *s, size_t len, size_t k)
{
	size_t i = 0;

	for (; k > 0 && i < len; k--)
		for (i++; i < len && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

size_t saola__expr_scalar_text(json_t *j, char nb[SAOLA__EXPR_NUMBUF],
                               const char **s)
{
	switch (json_typeof(j)) {
	case JSON_STRING:
		*s = json_string_value(j);
		return json_string_length(j);
	case JSON_INTEGER:
		*s = nb;
		return (size_t)snprintf(nb, SAOLA__EXPR_NUMBUF,
		                        "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	case JSON_REAL:
		*s = nb;
		return saola__expr_fmt_num(json_real_value(j), nb);
	case JSON_TRUE:
		*s = "true";
		return 4;
	case JSON_FALSE:
		*s = "false";
		return 5;
	default:
		*s = "";
		return 0;
	}
}

/* Two passes (measure, then copy) make one allocation. */
int saola__expr_join(json_t *a, char **out, size_t *len)
{
	char nb[SAOLA__EXPR_NUMBUF];
	const char *s;
	size_t i, n, total = 0;
	char *p;

	*out = NULL;
	*len = 0;
	for (i = 0; i < json_array_size(a); i++)
		total += saola__expr_scalar_text(json_array_get(a, i), nb, &s) +
		         (i > 0);
	if (!json_array_size(a))
		return SAOLA_OK;
	if (!(p = saola__expr_malloc(total + 1)))
		return SAOLA_NOMEM;
	for (i = 0, total = 0; i < json_array_size(a); i++) {
		if (i > 0)
			p[total++] = ' ';
		n = saola__expr_scalar_text(json_array_get(a, i), nb, &s);
		memcpy(p + total, s, n);
		total += n;
	}
	p[total] = '\0';
	*out = p;
	*len = total;
	return SAOLA_OK;
}
