/* The writer: struct lxm_config -> libconfig text, walking cfg_keys[] in order
 * with each key's formatter, and the config file written by rename. */
#include <inttypes.h>
#include <sys/stat.h>

#include "config-internal.h"
#include "config.h"
#include "util.h"

/* ---- writing ------------------------------------------------------------------- */

/* A libconfig string literal. */
char *cfg_quote(const char *s)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int set_ret(char *v, char **ret)
{
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 1;
}

int cfg_format_string(const struct key *k, const void *base, char **ret)
{
	const char *v = *CFIELD(base, k, char *);

	if (!v && (k->flags & K_ALWAYS) && (k->flags & K_EMPTY_NULL))
		v = "";
	if (!v)
		return 0;
	return set_ret(cfg_quote(v), ret);
}

int cfg_format_chars(const struct key *k, const void *base, char **ret)
{
	const char *v = CFIELD(base, k, char);

	if (!v[0])
		return 0;
	return set_ret(cfg_quote(v), ret);
}

int cfg_format_strv(const struct key *k, const void *base, char **ret)
{
	char *const *v = *CFIELD(base, k, char **);
	size_t n = CCOUNT(base, k->aux);
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	if (n == 0 && !(k->flags & K_ALWAYS))
		return 0;
	f = open_memstream(&out, &size);
	if (!f)
		return -ENOMEM;
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *q = cfg_quote(v[i]);

		if (!q) {
			fclose(f);
			free(out);
			return -ENOMEM;
		}
		fprintf(f, "%s%s", i ? ", " : " ", q);
	}
	fputs(n ? " ]" : "]", f);
	if (fclose(f) != 0) {
		free(out);
		return -ENOMEM;
	}
	*ret = out;
	return 1;
}

int cfg_format_u32(const struct key *k, const void *base, char **ret)
{
	uint32_t v = *CFIELD(base, k, uint32_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRIu32, v), ret);
}

int cfg_format_u64(const struct key *k, const void *base, char **ret)
{
	uint64_t v = *CFIELD(base, k, uint64_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRIu64, v), ret);
}

int cfg_format_i32(const struct key *k, const void *base, char **ret)
{
	int32_t v = *CFIELD(base, k, int32_t);

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(lxm_strdup_printf("%" PRId32, v), ret);
}

/* The largest binary unit that divides the value: "128K", "1G", "12345". */
int cfg_format_size(const struct key *k, const void *base, char **ret)
{
	static const char units[] = "KMGTPE";
	uint64_t v = *CFIELD(base, k, uint64_t);
	int u = -1;

	if (v == 0 && !(k->flags & K_ALWAYS))
		return 0;
	while (v && u < 5 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		return set_ret(lxm_strdup_printf("\"%" PRIu64 "\"", v), ret);
	return set_ret(lxm_strdup_printf("\"%" PRIu64 "%c\"", v, units[u]), ret);
}

int cfg_format_signal(const struct key *k, const void *base, char **ret)
{
	int sig = *CFIELD(base, k, int);
	char buf[32];

	if (sig == 0)
		return 0;
	if (!lxm_signal_to_name(sig, buf, sizeof(buf)))
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%s\"", buf), ret);
}

int cfg_format_bool(const struct key *k, const void *base, char **ret)
{
	bool v = *CFIELD(base, k, bool);

	if (!v && !(k->flags & K_ALWAYS))
		return 0;
	return set_ret(strdup(v ? "true" : "false"), ret);
}

int cfg_format_nettype(const struct key *k, const void *base, char **ret)
{
	const char *t = lxm_net_type_to_string(*CFIELD(base, k, enum lxm_net_type));

	if (!t)
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%s\"", t), ret);
}

int cfg_format_idtype(const struct key *k, const void *base, char **ret)
{
	char t = *CFIELD(base, k, char);

	if (t != 'u' && t != 'g')
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%c\"", t), ret);
}

int cfg_format_devtype(const struct key *k, const void *base, char **ret)
{
	char t = *CFIELD(base, k, char);

	if (t != 'c' && t != 'b')
		return -EINVAL;
	return set_ret(lxm_strdup_printf("\"%c\"", t), ret);
}

int cfg_format_devnum(const struct key *k, const void *base, char **ret)
{
	int32_t v = *CFIELD(base, k, int32_t);

	if (v < 0)
		return set_ret(strdup("\"*\""), ret);
	return set_ret(lxm_strdup_printf("%" PRId32, v), ret);
}

static int write_members(FILE *f, const char *prefix, const void *base, int depth, bool one_line);

static void indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputc('\t', f);
}

/* The members of a group or list element, rendered into a string (empty when
 * nothing is set, so the caller can leave the group out). */
static int render_members(const char *prefix, const void *base, int depth, bool one_line, char **ret)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	int r;

	if (!f)
		return -ENOMEM;
	r = write_members(f, prefix, base, depth, one_line);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}

static int write_list(FILE *f, const struct key *k, const void *base, int depth)
{
	const void *elems = *CFIELD(base, k, void *);
	size_t n = CCOUNT(base, k->aux);
	bool one_line = k->flags & K_ONE_LINE;

	if (n == 0 && !(k->flags & K_ALWAYS))
		return 0;
	indent(f, depth);
	fprintf(f, "%s = (", cfg_key_leaf(k));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *body = NULL;
		int r = render_members(k->path, (const char *)elems + i * k->list->elem_size, depth + 2,
				       one_line, &body);

		if (r < 0)
			return r;
		fputs(i ? ",\n" : "\n", f);
		indent(f, depth + 1);
		if (one_line)
			fprintf(f, "{ %s}", body);
		else {
			fprintf(f, "{\n%s", body);
			indent(f, depth + 1);
			fputc('}', f);
		}
	}
	fputs(n ? "\n" : " ", f);
	if (n)
		indent(f, depth);
	fputs(");\n", f);
	return 0;
}

static int write_members(FILE *f, const char *prefix, const void *base, int depth, bool one_line)
{
	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct key *k = &cfg_keys[i];
		_cleanup_free_ char *v = NULL;
		int r;

		if (!cfg_key_in_group(k, prefix))
			continue;
		if (k->parse == cfg_parse_group) {
			r = render_members(k->path, base, depth + 1, false, &v);
			if (r < 0)
				return r;
			if (!*v)
				continue;
			if (depth == 0)
				fputc('\n', f);
			indent(f, depth);
			fprintf(f, "%s = {\n%s", cfg_key_leaf(k), v);
			indent(f, depth);
			fputs("};\n", f);
			continue;
		}
		if (k->parse == cfg_parse_list) {
			if (depth == 0 && (CCOUNT(base, k->aux) || (k->flags & K_ALWAYS)))
				fputc('\n', f);
			r = write_list(f, k, base, depth);
			if (r < 0)
				return r;
			continue;
		}
		r = k->format(k, base, &v);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (one_line)
			fprintf(f, "%s = %s; ", cfg_key_leaf(k), v);
		else {
			indent(f, depth);
			fprintf(f, "%s = %s;\n", cfg_key_leaf(k), v);
		}
	}
	return 0;
}

int lxm_config_format(const struct lxm_config *conf, char **ret)
{
	_cleanup_free_ char *body = NULL;
	int r;

	r = render_members("", conf, 0, false, &body);
	if (r < 0)
		return r;
	*ret = lxm_strdup_printf("# lxm container configuration (libconfig syntax)\n%s", body);
	return *ret ? 0 : -ENOMEM;
}

static int lxm_conf_save(const struct lxm_config *conf, const char *path, bool durable, struct lxm_error *err)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = lxm_config_format(conf, &text);
	if (r < 0)
		return lxm_error_set(err, -r, "format config '%s'", path);
	r = lxm_write_file_replace(path, text, strlen(text), 0640, durable);
	if (r < 0)
		return lxm_error_set(err, -r, "write config '%s'", path);
	/* the umask may have taken bits away: the group (lxm admins) reads it */
	if (chmod(path, 0640) < 0)
		return lxm_error_set(err, errno, "chmod config '%s'", path);
	return 0;
}

int lxm_config_write(const struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	return lxm_conf_save(conf, path, true, err);
}

int lxm_config_write_runtime(const struct lxm_config *conf, const char *path, struct lxm_error *err)
{
	return lxm_conf_save(conf, path, false, err);
}
