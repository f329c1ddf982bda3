/* Change one key in the text of a config file, in place.
 *
 * lxm-cgroup persists a limit into a config that people edit by hand:
 * rewriting the whole file from the struct (lxm_config_format) would drop
 * their comments, order and layout. This follows the libconfig syntax just
 * far enough (comments, strings, names, brackets) to find one setting and
 * touch only its value. The caller reads the result back and checks it. */
#include <ctype.h>

#include "config.h"
#include "util.h"

enum tok {
	T_END,
	T_NAME,
	T_EQ,       /* '=' or ':' */
	T_OPEN,     /* { ( [ */
	T_CLOSE,    /* } ) ] */
	T_SEP,      /* ; or , */
	T_VALUE,    /* string, number, anything else */
};

struct lexer {
	const char *text;
	size_t pos;
	size_t start, end;  /* of the last token */
};

static void skip_space(struct lexer *lx)
{
	const char *t = lx->text;

	for (;;) {
		while (t[lx->pos] && isspace((unsigned char)t[lx->pos]))
			lx->pos++;
		if (t[lx->pos] == '#' || (t[lx->pos] == '/' && t[lx->pos + 1] == '/')) {
			while (t[lx->pos] && t[lx->pos] != '\n')
				lx->pos++;
		} else if (t[lx->pos] == '/' && t[lx->pos + 1] == '*') {
			const char *e = strstr(t + lx->pos + 2, "*/");

			lx->pos = e ? (size_t)(e - t) + 2 : strlen(t);
		} else {
			return;
		}
	}
}

static enum tok next(struct lexer *lx)
{
	const char *t = lx->text;
	char c;

	skip_space(lx);
	lx->start = lx->pos;
	c = t[lx->pos];
	if (!c) {
		lx->end = lx->pos;
		return T_END;
	}
	lx->pos++;
	switch (c) {
	case '=':
	case ':':
		lx->end = lx->pos;
		return T_EQ;
	case '{':
	case '(':
	case '[':
		lx->end = lx->pos;
		return T_OPEN;
	case '}':
	case ')':
	case ']':
		lx->end = lx->pos;
		return T_CLOSE;
	case ';':
	case ',':
		lx->end = lx->pos;
		return T_SEP;
	case '"':
		while (t[lx->pos] && t[lx->pos] != '"') {
			if (t[lx->pos] == '\\' && t[lx->pos + 1])
				lx->pos++;
			lx->pos++;
		}
		if (t[lx->pos])
			lx->pos++;
		lx->end = lx->pos;
		return T_VALUE;
	default:
		break;
	}
	if (isalpha((unsigned char)c) || c == '*') {
		/* strchr() finds the terminating NUL too: test it first */
		while (t[lx->pos] && (isalnum((unsigned char)t[lx->pos]) || strchr("-_*", t[lx->pos])))
			lx->pos++;
		lx->end = lx->pos;
		/* true/false are values, but a setting may be named so too:
		 * the caller tells by what follows */
		return T_NAME;
	}
	while (t[lx->pos] && !isspace((unsigned char)t[lx->pos]) && !strchr("=:{}()[];,\"#", t[lx->pos]))
		lx->pos++;
	lx->end = lx->pos;
	return T_VALUE;
}

static bool tok_is(const struct lexer *lx, const char *word)
{
	size_t n = strlen(word);

	return lx->end - lx->start == n && strncmp(lx->text + lx->start, word, n) == 0;
}

/* Where one setting is: [name_start, sep_end) is all of it, [value_start,
 * value_end) its value. */
struct span {
	size_t name_start, value_start, value_end, sep_end;
};

/* Walk the members of a group from just after its '{' (or the whole text
 * at the top level) up to its closing '}'; find the setting called name.
 * Returns 1 when found (in *sp), 0 when not, with *close at the group's
 * '}' (the text's end at the top level); -EINVAL on text it cannot follow. */
static int find_member(struct lexer *lx, const char *name, bool top, struct span *sp, size_t *close)
{
	for (;;) {
		enum tok t = next(lx);
		bool match;
		size_t name_start;
		int depth = 0;

		if (t == T_END) {
			if (!top)
				return -EINVAL;
			*close = lx->start;
			return 0;
		}
		if (t == T_CLOSE && !top) {
			*close = lx->start;
			return 0;
		}
		if (t == T_SEP)
			continue;
		if (t != T_NAME)
			return -EINVAL;
		match = tok_is(lx, name);
		name_start = lx->start;
		if (next(lx) != T_EQ)
			return -EINVAL;
		sp->name_start = name_start;
		sp->value_start = SIZE_MAX;
		sp->value_end = lx->end;
		/* the value: tokens up to a separator or the group's end at depth 0 */
		for (;;) {
			size_t before = lx->pos;

			t = next(lx);
			if (t == T_END) {
				if (depth)
					return -EINVAL;
				lx->pos = before;
				sp->sep_end = sp->value_end;
				break;
			}
			if (depth == 0 && (t == T_SEP || t == T_CLOSE)) {
				if (t == T_CLOSE) {
					lx->pos = before;  /* the group's '}' again */
					sp->sep_end = sp->value_end;
				} else {
					sp->sep_end = lx->end;
				}
				break;
			}
			if (t == T_OPEN)
				depth++;
			else if (t == T_CLOSE)
				depth--;
			if (sp->value_start == SIZE_MAX)
				sp->value_start = lx->start;
			sp->value_end = lx->end;
			/* without a separator, a value ends where the next
			 * setting begins: NAME '=' */
			if (depth == 0) {
				struct lexer peek = *lx;

				if (next(&peek) == T_NAME && next(&peek) == T_EQ) {
					sp->sep_end = sp->value_end;
					break;
				}
			}
		}
		if (sp->value_start == SIZE_MAX)
			return -EINVAL;
		if (match)
			return 1;
	}
}

static char *splice(const char *text, size_t from, size_t to, const char *insert)
{
	return lxm_strdup_printf("%.*s%s%s", (int)from, text, insert, text + to);
}

static bool blank(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Remove the setting; its whole line when nothing else (but a comment) is
 * on it. */
static char *remove_setting(const char *text, const struct span *sp)
{
	size_t bol = sp->name_start, eol = sp->sep_end;

	while (bol > 0 && text[bol - 1] != '\n')
		bol--;
	while (text[eol] == ' ' || text[eol] == '\t')
		eol++;
	if (text[eol] == '#' || (text[eol] == '/' && text[eol + 1] == '/'))
		while (text[eol] && text[eol] != '\n')
			eol++;
	if (blank(text, bol, sp->name_start) && (text[eol] == '\n' || !text[eol]))
		return splice(text, bol, text[eol] ? eol + 1 : eol, "");
	eol = sp->sep_end;
	while (text[eol] == ' ' || text[eol] == '\t')
		eol++;
	return splice(text, sp->name_start, eol, "");
}

/* Add "leaf = value;" before the group's closing brace at close. */
static char *add_member(const char *text, size_t open, size_t close, const char *leaf, const char *value)
{
	_cleanup_free_ char *ins = NULL;
	bool multiline = memchr(text + open, '\n', close - open) != NULL;

	if (multiline) {
		/* on its own line, indented like the group's first member */
		size_t first = open + 1, ind, bol = close;
		_cleanup_free_ char *indent = NULL;

		while (text[first] && isspace((unsigned char)text[first]) && text[first] != '\n')
			first++;
		if (text[first] == '\n')
			first++;
		ind = first;
		while (text[ind] == ' ' || text[ind] == '\t')
			ind++;
		indent = (ind > first && ind < close) ? strndup(text + first, ind - first) : strdup("\t");
		if (!indent)
			return NULL;
		while (bol > open && text[bol - 1] != '\n')
			bol--;
		if (bol > open && blank(text, bol, close)) {
			ins = lxm_strdup_printf("%s%s = %s;\n", indent, leaf, value);
			return ins ? splice(text, bol, bol, ins) : NULL;
		}
		ins = lxm_strdup_printf("\n%s%s = %s;\n", indent, leaf, value);
		return ins ? splice(text, close, close, ins) : NULL;
	}
	{
		size_t at = close;

		while (at > open + 1 && (text[at - 1] == ' ' || text[at - 1] == '\t'))
			at--;
		ins = lxm_strdup_printf(" %s = %s; ", leaf, value);
		return ins ? splice(text, at, close, ins) : NULL;
	}
}

int lxm_config_edit_text(const char *text, const char *key, const char *value, char **ret)
{
	struct lexer lx = { .text = text };
	const char *dot = strchr(key, '.');
	_cleanup_free_ char *group = NULL;
	const char *leaf = dot ? dot + 1 : key;
	struct span sp;
	size_t close = 0, gopen = SIZE_MAX;
	char *out;
	int r;

	*ret = NULL;
	if (!*leaf || (dot && strchr(leaf, '.')))
		return -EINVAL;
	if (dot) {
		group = strndup(key, (size_t)(dot - key));
		if (!group)
			return -ENOMEM;
		/* the group at the top level; its value must be { ... } */
		r = find_member(&lx, group, true, &sp, &close);
		if (r < 0)
			return r;
		if (r == 0) {
			bool nl = !*text || text[strlen(text) - 1] == '\n';

			if (!value)
				out = strdup(text);
			else
				out = lxm_strdup_printf("%s%s\n%s = {\n\t%s = %s;\n};\n", text, nl ? "" : "\n",
							group, leaf, value);
			if (!out)
				return -ENOMEM;
			*ret = out;
			return 0;
		}
		if (text[sp.value_start] != '{')
			return -EINVAL;
		gopen = sp.value_start;
		lx.pos = gopen + 1;
	}
	r = find_member(&lx, leaf, !dot, &sp, &close);
	if (r < 0)
		return r;
	if (r == 1) {
		/* a group member with the same name as ours is never a match */
		if (text[sp.value_start] == '{' && dot)
			return -EINVAL;
		if (!value)
			out = remove_setting(text, &sp);
		else
			out = splice(text, sp.value_start, sp.value_end, value);
	} else if (!value) {
		out = strdup(text);
	} else if (dot) {
		out = add_member(text, gopen, close, leaf, value);
	} else {
		bool nl = !*text || text[strlen(text) - 1] == '\n';

		out = lxm_strdup_printf("%s%s%s = %s;\n", text, nl ? "" : "\n", leaf, value);
	}
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}
