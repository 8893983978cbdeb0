/*
 * Templates and their bindings (spec section 5: 模板操作接口, NOTES section
 * 7). A template is a row of templates (plus, for transcode, its
 * trans_configs); a binding ties one template of a type to a space (group)
 * or a stream, at most one per (instance, template type).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/res.h"
#include "actions.h"

enum tpl_type { TPL_RECORD, TPL_SNAPSHOT, TPL_TRANSCODE, TPL_TIMESHIFT };

static const char *const tpl_types[] = { "record", "snapshot", "transcode",
    "timeshift", NULL };
static const char *const tpl_instance_types[] = { "group", "stream", NULL };
static const char *const tpl_triggers[] = { "auto", "ondemand", NULL };
static const char *const tpl_record_formats[] = { "mp4", "flv", "hls", NULL };
static const char *const tpl_snapshot_formats[] = { "jpg", NULL };

#define TB(t)		(1u << (t))
#define TB_STORE	(TB(TPL_RECORD) | TB(TPL_SNAPSHOT))
#define TB_ALL		(TB_STORE | TB(TPL_TRANSCODE) | TB(TPL_TIMESHIFT))

/*
 * Interval ranges (the spec gives none): a record segment of 5 minutes to
 * 6 hours, a snapshot every 5 seconds to 1 hour.
 */
#define TPL_RECORD_INTERVAL_MIN		300
#define TPL_RECORD_INTERVAL_MAX		21600
#define TPL_SNAPSHOT_INTERVAL_MIN	5
#define TPL_SNAPSHOT_INTERVAL_MAX	3600

#define TC_NAME_MAX	32
#define TC_MAX		10		/* TransConfigs of one template */
#define TC_ENTRIES_MAX	(2 * TC_MAX)	/* entries of one TransConfigsJSON */
#define TC_CAP		(TC_MAX + TC_ENTRIES_MAX)

/* Path variables (NOTES section 7), one bit each. */
enum {
	V_APP = 1 << 0,
	V_STREAM = 1 << 1,
	V_SEQ = 1 << 2,
	V_START = 1 << 3,
	V_END = 1 << 4,
	V_TS = 1 << 5,
};
static const char *const tpl_vars[] = { "{AppName}", "{StreamName}",
    "{Sequence}", "{EscapedStartTime}", "{EscapedEndTime}",
    "{UnixTimestamp}", NULL };

/* What a storage path may and must hold, per the spec's field texts. */
struct tpl_path {
	const char	*format;	/* the FileFormat it is written for */
	unsigned	 allowed;	/* variables it may use */
	unsigned	 all;		/* ... must use each of */
	unsigned	 any;		/* ... must use one of */
	const char	*def;		/* when its format is on, path empty */
};

/* The recorder appends .mp4/.flv/.m3u8/.ts; jpg paths name the file. */
static const struct tpl_path tpl_path_mp4 = { "mp4",
    V_APP | V_STREAM | V_SEQ | V_START | V_END, V_START | V_END, 0,
    "record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}" };
static const struct tpl_path tpl_path_flv = { "flv",
    V_APP | V_STREAM | V_SEQ | V_START | V_END, V_START | V_END, 0,
    "record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}" };
static const struct tpl_path tpl_path_m3u8 = { "hls",
    V_APP | V_STREAM | V_SEQ | V_START | V_END, V_START | V_END, 0,
    "record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}" };
static const struct tpl_path tpl_path_ts = { "hls",
    V_APP | V_STREAM | V_TS | V_SEQ, V_TS | V_SEQ, 0,
    "record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}" };
static const struct tpl_path tpl_path_overwrite = { "jpg",
    V_APP | V_STREAM, 0, 0, NULL };
static const struct tpl_path tpl_path_sequence = { "jpg",
    V_APP | V_STREAM | V_TS | V_SEQ, 0, V_TS | V_SEQ, NULL };
#define TPL_SEQUENCE_DEF "snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg"

/* The fields of a template, in the order of the spec's response table. */
enum tpl_fi {
	TF_NAME, TF_DESCRIPTION, TF_REGION, TF_BUCKET, TF_ENDPOINT,
	TF_INTERVAL, TF_RETENTION, TF_FORMAT, TF_JPG_OVERWRITE,
	TF_JPG_SEQUENCE, TF_MP4, TF_FLV, TF_HLS_M3U8, TF_HLS_TS, TF_TRIGGER,
	TF_CALLBACK, TF_EXPIRED, TF_COUNT
};

struct tpl_tc {
	uint64_t	id;		/* 0: not stored yet */
	char		name[TC_NAME_MAX + 1];
	char		codec[8];
	long		n[5];		/* by tc_nums */
	int		gone;		/* deleted by this request */
	int		touched;	/* named by an entry of this request */
};

struct tpl {
	uint64_t	id;
	enum tpl_type	type;
	char		created[32];
	char		*v[TF_COUNT];	/* text of each field */
	struct tpl_tc	tc[TC_CAP];
	unsigned	ntc;
};

struct tpl_field;
/* Checks value v of field f; may put a canonical form in canon. */
typedef enum api_err tpl_check_fn(struct api_req *, const struct tpl_field *,
    const struct tpl *, const char *, struct buf *);

struct tpl_field {
	const char		*name;		/* parameter and JSON field */
	const char		*column;
	int			 is_int;
	unsigned		 types;		/* TB() of its types */
	unsigned		 required;	/* TB() of types that need it */
	tpl_check_fn		*check;		/* NULL: the route table's */
	const char		*charset;	/* for tpl_check_chars */
	const char		*what;		/* ... and its message */
	const struct tpl_path	*path;		/* for tpl_check_path */
	const char		*def;		/* a new template's value */
};

static tpl_check_fn tpl_check_chars, tpl_check_url, tpl_check_endpoint,
    tpl_check_interval, tpl_check_format, tpl_check_trigger, tpl_check_path;

#define LOWER	"abcdefghijklmnopqrstuvwxyz"
#define UPPER	"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS	"0123456789"

static const struct tpl_field tpl_fields[TF_COUNT] = {
	[TF_NAME] = { "Name", "name", 0, TB_ALL, TB_ALL, NULL },
	[TF_DESCRIPTION] = { "Description", "description", 0, TB_ALL, 0,
	    NULL },
	[TF_REGION] = { "Region", "region", 0, TB_STORE, TB_STORE,
	    tpl_check_chars, LOWER DIGITS "-", "a-z, 0-9 and -" },
	[TF_BUCKET] = { "oNestBucket", "onest_bucket", 0, TB_STORE, TB_STORE,
	    tpl_check_chars, LOWER UPPER DIGITS "._-",
	    "letters, digits and . _ -" },
	[TF_ENDPOINT] = { "oNestEndpoint", "onest_endpoint", 0, TB_STORE,
	    TB_STORE, tpl_check_endpoint },
	[TF_INTERVAL] = { "Interval", "interval_s", 1, TB_STORE, TB_STORE,
	    tpl_check_interval, .def = "0" },
	[TF_RETENTION] = { "Retention", "retention", 1, TB(TPL_TIMESHIFT),
	    TB(TPL_TIMESHIFT), NULL, .def = "0" },
	[TF_FORMAT] = { "FileFormat", "file_format", 0, TB_STORE, TB_STORE,
	    tpl_check_format },
	[TF_JPG_OVERWRITE] = { "JpgOverwrite", "jpg_overwrite", 0,
	    TB(TPL_SNAPSHOT), 0, tpl_check_path,
	    .path = &tpl_path_overwrite },
	[TF_JPG_SEQUENCE] = { "JpgSequence", "jpg_sequence", 0,
	    TB(TPL_SNAPSHOT), 0, tpl_check_path, .path = &tpl_path_sequence },
	[TF_MP4] = { "Mp4", "mp4", 0, TB(TPL_RECORD), 0, tpl_check_path,
	    .path = &tpl_path_mp4 },
	[TF_FLV] = { "Flv", "flv", 0, TB(TPL_RECORD), 0, tpl_check_path,
	    .path = &tpl_path_flv },
	[TF_HLS_M3U8] = { "HlsM3u8", "hls_m3u8", 0, TB(TPL_RECORD), 0,
	    tpl_check_path, .path = &tpl_path_m3u8 },
	[TF_HLS_TS] = { "HlsTs", "hls_ts", 0, TB(TPL_RECORD), 0,
	    tpl_check_path, .path = &tpl_path_ts },
	[TF_TRIGGER] = { "Trigger", "record_trigger", 0, TB(TPL_RECORD), 0,
	    tpl_check_trigger, .def = "auto" },
	[TF_CALLBACK] = { "Callback", "callback", 0, TB_ALL, 0,
	    tpl_check_url },
	[TF_EXPIRED] = { "Expired", "expired", 1, TB_STORE, 0, NULL,
	    .def = "0" },
};

/* TransConfig numbers: sane encoder settings; H.264 4:2:0 needs even sizes. */
static const struct tc_num {
	const char	*name;
	long		 min, max;
	int		 even;
} tc_nums[] = {
	{ "VideoBitrate", 10, 50000, 0 },	/* kbps */
	{ "Fps", 1, 60, 0 },
	{ "Gop", 1, 1000, 0 },			/* frames */
	{ "Height", 16, 4096, 1 },
	{ "Width", 16, 4096, 1 },
};
#define TC_NNUM	(sizeof(tc_nums) / sizeof(tc_nums[0]))

/*
 * Parameter tables. Interval is a string here: its range depends on Type
 * and is checked by tpl_check_interval.
 */
#define TPL_FIELD_PARAMS \
	{ "Description", PT_STRING, 0, 1, 1024 }, \
	{ "Callback", PT_STRING, 0, 1, 1024 }, \
	{ "Region", PT_STRING, 0, 1, 64 }, \
	{ "oNestBucket", PT_STRING, 0, 1, 128 }, \
	{ "ONestBucket", PT_STRING, 0, 1, 128 }, \
	{ "oNestEndpoint", PT_STRING, 0, 1, 256 }, \
	{ "ONestEndpoint", PT_STRING, 0, 1, 256 }, \
	{ "Interval", PT_STRING, 0, 1, 10 }, \
	{ "FileFormat", PT_STRING, 0, 1, 32 }, \
	{ "Mp4", PT_STRING, 0, 1, 256 }, \
	{ "Flv", PT_STRING, 0, 1, 256 }, \
	{ "HlsM3u8", PT_STRING, 0, 1, 256 }, \
	{ "HlsTs", PT_STRING, 0, 1, 256 }, \
	{ "JpgOverwrite", PT_STRING, 0, 1, 256 }, \
	{ "JpgSequence", PT_STRING, 0, 1, 256 }, \
	{ "Trigger", PT_STRING, 0, 1, 16 }, \
	{ "Expired", PT_INT, 0, 0, 3650 }, \
	{ "Retention", PT_INT, 0, 1, 365 }, \
	{ "TransConfigsJSON", PT_STRING, 0, 1, 16384 }

static const struct route_param tpl_create_params[] = {
	{ "Name", PT_STRING, 1, 1, 128 },
	{ "Type", PT_STRING, 1, 1, 16 },
	TPL_FIELD_PARAMS,
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_modify_params[] = {
	{ "Id", PT_STRING, 1, 1, 20 },
	{ "Name", PT_STRING, 0, 1, 128 },
	TPL_FIELD_PARAMS,
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_id_params[] = {
	{ "Id", PT_STRING, 1, 1, 20 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_list_params[] = {
	{ "Type", PT_STRING, 0, 1, 16 },
	{ "InstanceId", PT_STRING, 0, 1, 20 },
	{ "PageSize", PT_INT, 0, 1, 100 },
	{ "PageNum", PT_INT, 0, 1, INT_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_bind_params[] = {
	{ "TemplateId", PT_STRING, 1, 1, 20 },
	{ "TemplateType", PT_STRING, 1, 1, 16 },
	{ "InstanceId", PT_STRING, 1, 1, 20 },
	{ "InstanceType", PT_STRING, 1, 1, 16 },
	{ "ApplyAll", PT_BOOL, 0, 0, 0 },
	{ "Replace", PT_BOOL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* Batch*: up to RES_BATCH_MAX ids of 20 digits and their commas. */
static const struct route_param tpl_batch_bind_params[] = {
	{ "TemplateId", PT_STRING, 1, 1, 20 },
	{ "TemplateType", PT_STRING, 1, 1, 16 },
	{ "InstanceId", PT_STRING, 1, 1, 21 * RES_BATCH_MAX },
	{ "InstanceType", PT_STRING, 1, 1, 16 },
	{ "ApplyAll", PT_BOOL, 0, 0, 0 },
	{ "Replace", PT_BOOL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_unbind_params[] = {
	{ "TemplateId", PT_STRING, 1, 1, 20 },
	{ "TemplateType", PT_STRING, 1, 1, 16 },
	{ "InstanceId", PT_STRING, 1, 1, 20 },
	{ "InstanceType", PT_STRING, 1, 1, 16 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct route_param tpl_batch_unbind_params[] = {
	{ "TemplateId", PT_STRING, 1, 1, 20 },
	{ "TemplateType", PT_STRING, 1, 1, 16 },
	{ "InstanceId", PT_STRING, 1, 1, 21 * RES_BATCH_MAX },
	{ "InstanceType", PT_STRING, 1, 1, 16 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct res_sort tpl_sorts[] = {
	{ "createdTime", "created_at" },
	{ "name", "name" },
	{ NULL, NULL }
};

static const char tpl_tc_select_sql[] =
    "SELECT id, name, video_codec, video_bitrate, fps, gop, height, width"
    " FROM trans_configs WHERE template_id = ? ORDER BY id";
static const char tpl_tc_delete_sql[] =
    "DELETE FROM trans_configs WHERE template_id = ?";
static const char tpl_tc_insert_sql[] =
    "INSERT INTO trans_configs (id, template_id, name, video_codec,"
    " video_bitrate, fps, gop, height, width)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
/* Bindings whose space or stream still exists (NOTES 7: no delete then). */
static const char tpl_bound_sql[] =
    "SELECT COUNT(*) FROM template_bindings b"
    " WHERE b.tenant_id = ? AND b.template_id = ? AND"
    " (EXISTS (SELECT 1 FROM spaces s WHERE b.instance_type = 'group'"
    " AND s.id = b.instance_id AND s.tenant_id = b.tenant_id) OR"
    " EXISTS (SELECT 1 FROM streams s WHERE b.instance_type = 'stream'"
    " AND s.id = b.instance_id AND s.tenant_id = b.tenant_id))";
static const char tpl_unbind_all_sql[] =
    "DELETE FROM template_bindings WHERE tenant_id = ? AND template_id = ?";
static const char tpl_delete_sql[] =
    "DELETE FROM templates WHERE id = ? AND tenant_id = ?";
static const char tpl_type_sql[] =
    "SELECT type FROM templates WHERE id = ? AND tenant_id = ?";
/* Keeps DeleteTemplate out until the binding is committed. */
static const char tpl_type_lock_sql[] =
    "SELECT type FROM templates WHERE id = ? AND tenant_id = ?"
    " LOCK IN SHARE MODE";
static const char tpl_space_lock_sql[] =
    "SELECT id FROM spaces WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE";
static const char tpl_stream_lock_sql[] =
    "SELECT id FROM streams WHERE id = ? AND tenant_id = ?"
    " LOCK IN SHARE MODE";
static const char tpl_binding_sql[] =
    "SELECT template_id FROM template_bindings WHERE tenant_id = ? AND"
    " instance_type = ? AND instance_id = ? AND template_type = ? FOR UPDATE";
static const char tpl_binding_insert_sql[] =
    "INSERT INTO template_bindings (tenant_id, instance_type, instance_id,"
    " template_type, template_id) VALUES (?, ?, ?, ?, ?)";
/* An explicit bind makes the binding the instance's own (via_group NULL). */
static const char tpl_binding_update_sql[] =
    "UPDATE template_bindings SET template_id = ?, via_group = NULL"
    " WHERE tenant_id = ? AND instance_type = ? AND instance_id = ? AND"
    " template_type = ?";
/*
 * ApplyAll: every stream of the space. With Replace a stream's binding to
 * another template is taken over (and marked as the space's); a stream's own
 * binding to this very template stays its own. Without Replace existing
 * bindings are kept as they are.
 */
static const char tpl_apply_replace_sql[] =
    "INSERT INTO template_bindings (tenant_id, instance_type, instance_id,"
    " template_type, template_id, via_group)"
    " SELECT tenant_id, 'stream', id, ?, ?, group_id FROM streams"
    " WHERE tenant_id = ? AND group_id = ?"
    " ON DUPLICATE KEY UPDATE via_group = IF(template_id ="
    " VALUES(template_id), via_group, VALUES(via_group)),"
    " template_id = VALUES(template_id)";
static const char tpl_apply_keep_sql[] =
    "INSERT INTO template_bindings (tenant_id, instance_type, instance_id,"
    " template_type, template_id, via_group)"
    " SELECT tenant_id, 'stream', id, ?, ?, group_id FROM streams"
    " WHERE tenant_id = ? AND group_id = ?"
    " ON DUPLICATE KEY UPDATE template_id = template_id";
/* Stream bindings ApplyAll made follow the space's binding. */
static const char tpl_follow_sql[] =
    "UPDATE template_bindings SET template_id = ? WHERE tenant_id = ? AND"
    " instance_type = 'stream' AND via_group = ? AND template_type = ?";
static const char tpl_unbind_sql[] =
    "DELETE FROM template_bindings WHERE tenant_id = ? AND"
    " instance_type = ? AND instance_id = ? AND template_type = ? AND"
    " template_id = ?";
static const char tpl_unbind_via_sql[] =
    "DELETE FROM template_bindings WHERE tenant_id = ? AND"
    " instance_type = 'stream' AND via_group = ? AND template_type = ? AND"
    " template_id = ?";
/*
 * The templates in effect on an instance (tenant, id, tenant, id): its own
 * bindings, and for a stream its space's bindings of every type the stream
 * has no binding of. A stream's own binding thus overrides its space's; the
 * media plane resolves a stream's template of one type with the same text
 * and "AND template_type = ?" on each branch.
 */
static const char tpl_effective_sql[] =
    " AND id IN (SELECT b.template_id FROM template_bindings b"
    " WHERE b.tenant_id = ? AND b.instance_id = ?"
    " UNION SELECT g.template_id FROM streams s JOIN template_bindings g"
    " ON g.tenant_id = s.tenant_id AND g.instance_type = 'group' AND"
    " g.instance_id = s.group_id WHERE s.tenant_id = ? AND s.id = ? AND"
    " NOT EXISTS (SELECT 1 FROM template_bindings o WHERE"
    " o.instance_type = 'stream' AND o.instance_id = s.id AND"
    " o.template_type = g.template_type))";

static int
tpl_index(const char *const *list, const char *v)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], v) == 0)
			return i;
	return -1;
}

/*
 * The value of a template parameter. The vendor SDK (pop-core) upper-cases
 * the first letter of every parameter name, so the spec's oNestBucket
 * arrives as ONestBucket: both spellings are taken.
 */
static const char *
tpl_param(const struct api_req *r, const char *name)
{
	const char *v = api_param(r, name);
	char alt[32];

	if (v == NULL && name[0] >= 'a' && name[0] <= 'z' &&
	    strlen(name) < sizeof(alt)) {
		snprintf(alt, sizeof(alt), "%c%s", name[0] - 'a' + 'A',
		    name + 1);
		v = api_param(r, alt);
	}
	return v;
}

static int
tpl_set(struct tpl *t, enum tpl_fi i, const char *v)
{
	char *s;

	if ((s = strdup(v)) == NULL)
		return ENOMEM;
	free(t->v[i]);
	t->v[i] = s;
	return 0;
}

static void
tpl_free(struct tpl *t)
{
	for (int i = 0; i < TF_COUNT; i++)
		free(t->v[i]);
	free(t);
}

static struct tpl *
tpl_new(enum tpl_type type)
{
	struct tpl *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->type = type;
	for (int i = 0; i < TF_COUNT; i++)
		if (tpl_set(t, i, tpl_fields[i].def ? tpl_fields[i].def :
		    "") != 0) {
			tpl_free(t);
			return NULL;
		}
	return t;
}

/* "a, b, c" of the template columns, for SELECT / INSERT / UPDATE text. */
static void
tpl_columns(struct buf *b, const char *suffix)
{
	for (int i = 0; i < TF_COUNT; i++)
		buf_addf(b, ", %s%s", tpl_fields[i].column, suffix);
}

static enum api_err
tpl_check_chars(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	if (v[strspn(v, f->charset)] != '\0')
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s may "
		    "contain only %s.", f->name, f->what);
	return AE_OK;
}

/* Visible ASCII without spaces: what a URL or host may be made of. */
static enum api_err
tpl_check_url(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	return res_callback(r, f->name, v);
}

/* A host name with an optional :port; a scheme in front is tolerated. */
static enum api_err
tpl_check_endpoint(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	const char *h = v, *port;

	if (strncmp(h, "http://", 7) == 0)
		h += 7;
	else if (strncmp(h, "https://", 8) == 0)
		h += 8;
	port = strchr(h, ':');
	if (*h == '\0' || *h == '.' || *h == '-' || *h == ':' ||
	    h[strspn(h, LOWER UPPER DIGITS ".-:")] != '\0' ||
	    (port != NULL && (port[1] == '\0' ||
	    port[1 + strspn(port + 1, DIGITS)] != '\0')))
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s "
		    "must be a host name (letters, digits, . and -) with an "
		    "optional :port.", f->name);
	return AE_OK;
}

static enum api_err
tpl_check_interval(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	long min = TPL_RECORD_INTERVAL_MIN, max = TPL_RECORD_INTERVAL_MAX, n;
	char *end;

	if (t->type == TPL_SNAPSHOT) {
		min = TPL_SNAPSHOT_INTERVAL_MIN;
		max = TPL_SNAPSHOT_INTERVAL_MAX;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (*v < '0' || *v > '9' || errno || *end != '\0' || n < min ||
	    n > max)
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s of "
		    "a %s template must be an integer from %ld to %ld "
		    "(seconds).",
		    f->name, tpl_types[t->type], min, max);
	return AE_OK;
}

static enum api_err
tpl_check_format(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	return res_list(r, f->name, t->type == TPL_SNAPSHOT ?
	    tpl_snapshot_formats : tpl_record_formats, canon);
}

static enum api_err
tpl_check_trigger(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	return res_enum(r, f->name, tpl_triggers);
}

/* "{A} and {B}" / "{A} or {B}" of the variables in mask. */
static void
tpl_var_names(struct buf *b, unsigned mask, const char *conj)
{
	int n = 0;

	for (int i = 0; tpl_vars[i] != NULL; i++)
		if (mask & (1u << i))
			buf_addf(b, "%s%s", n++ ? conj : "", tpl_vars[i]);
}

/*
 * An object key with variables: no control characters or backslash, not
 * absolute, no "." or ".." segment, braces only around a variable the field
 * allows, and the variables the spec says it must contain.
 */
static enum api_err
tpl_check_path(struct api_req *r, const struct tpl_field *f,
    const struct tpl *t, const char *v, struct buf *canon)
{
	const struct tpl_path *p = f->path;
	struct buf b = { 0 };
	unsigned seen = 0;
	const char *s, *seg;
	enum api_err e;

	for (s = v; *s; s++) {
		size_t len;
		int k;

		if ((unsigned char)*s < ' ' || *s == 0x7f || *s == '\\' ||
		    *s == '}')
			goto bad;
		if (*s != '{')
			continue;
		len = strcspn(s, "}");
		if (s[len] == '\0')
			goto bad;
		for (k = 0; tpl_vars[k] != NULL; k++)
			if (strlen(tpl_vars[k]) == len + 1 &&
			    strncmp(tpl_vars[k], s, len + 1) == 0)
				break;
		if (tpl_vars[k] == NULL || !(p->allowed & (1u << k))) {
			tpl_var_names(&b, p->allowed, ", ");
			api_fail(r, AE_INVALID_PARAMETER, "The parameter %s "
			    "may not use the variable %.*s; it may use %s.",
			    f->name, (int)len + 1 > 40 ? 40 : (int)len + 1, s,
			    b.p);
			buf_free(&b);
			return AE_INVALID_PARAMETER;
		}
		seen |= 1u << k;
		s += len;
	}
	if (*v == '/')
		goto bad;
	for (seg = v; *seg; seg += strcspn(seg, "/"), seg += *seg == '/') {
		size_t len = strcspn(seg, "/");

		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			goto bad;
	}
	if ((seen & p->all) != p->all || (p->any && !(seen & p->any))) {
		if ((seen & p->all) != p->all)
			tpl_var_names(&b, p->all, " and ");
		else
			tpl_var_names(&b, p->any, " or ");
		e = api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must "
		    "contain %s.", f->name, b.p);
		buf_free(&b);
		return e;
	}
	return AE_OK;
bad:
	return api_fail(r, AE_INVALID_PARAMETER, "The parameter %s must be a "
	    "relative object path without control characters, backslashes, "
	    "\".\" or \"..\" segments, and with braces only around "
	    "variables.", f->name);
}

/*
 * Applies the request's fields to t. Create: the Type's required fields
 * must be there. Modify: a field given empty is cleared (a path then gets
 * its default again); required and numeric fields cannot be emptied. A
 * field of another template type is refused rather than ignored.
 */
static enum api_err
tpl_apply(struct api_req *r, struct tpl *t, int create)
{
	for (int i = 0; i < TF_COUNT; i++) {
		const struct tpl_field *f = &tpl_fields[i];
		const char *v = tpl_param(r, f->name);
		int mine = (f->types & TB(t->type)) != 0;
		struct buf canon = { 0 };
		enum api_err e = AE_OK;

		if (v == NULL || (*v == '\0' && (create || !mine))) {
			if (create && (f->required & TB(t->type)))
				return api_fail(r, AE_MISSING_PARAMETER,
				    "The input parameter %s is mandatory for "
				    "a %s template.", f->name,
				    tpl_types[t->type]);
			continue;
		}
		if (!mine)
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter %s does not apply to a %s template.",
			    f->name, tpl_types[t->type]);
		if (*v == '\0' && ((f->required & TB(t->type)) || f->is_int))
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter %s of a %s template must not be empty.",
			    f->name, tpl_types[t->type]);
		if (*v != '\0' && f->check != NULL)
			e = f->check(r, f, t, v, &canon);
		if (e == AE_OK && tpl_set(t, i, canon.len ? canon.p : v) != 0)
			e = api_fail_errno(r, ENOMEM, "template field");
		buf_free(&canon);
		if (e != AE_OK)
			return e;
	}
	return AE_OK;
}

static int
tpl_has_format(const char *list, const char *format)
{
	size_t len = strlen(format);

	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, format, len) == 0 &&
		    (p[len] == ',' || p[len] == '\0'))
			return 1;
	return 0;
}

/*
 * Ties the paths to FileFormat: a path given for a format that is not
 * selected is refused; a path of a format just dropped is cleared; a
 * selected format without a path gets the default one. A snapshot template
 * with neither JPG path takes sequence snapshots.
 */
static enum api_err
tpl_normalize(struct api_req *r, struct tpl *t)
{
	const char *v;

	for (int i = 0; i < TF_COUNT; i++) {
		const struct tpl_field *f = &tpl_fields[i];

		if (f->path == NULL || !(f->types & TB(t->type)))
			continue;
		if (tpl_has_format(t->v[TF_FORMAT], f->path->format))
			v = *t->v[i] == '\0' ? f->path->def : NULL;
		else if (res_str(r, f->name) != NULL)
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter %s needs %s in FileFormat.", f->name,
			    f->path->format);
		else
			v = "";
		if (v != NULL && tpl_set(t, i, v) != 0)
			return api_fail_errno(r, ENOMEM, "template field");
	}
	if (t->type == TPL_SNAPSHOT && *t->v[TF_JPG_OVERWRITE] == '\0' &&
	    *t->v[TF_JPG_SEQUENCE] == '\0' &&
	    tpl_set(t, TF_JPG_SEQUENCE, TPL_SEQUENCE_DEF) != 0)
		return api_fail_errno(r, ENOMEM, "template field");
	return AE_OK;
}

/* TransConfigs */

static int
tc_int(json_object *v, long *n)
{
	const char *s;
	char *end;

	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		*n = x > LONG_MAX ? LONG_MAX : x < LONG_MIN ? LONG_MIN : x;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return EINVAL;
	s = json_object_get_string(v);
	if ((*s < '0' || *s > '9') && *s != '-')
		return EINVAL;
	errno = 0;
	*n = strtol(s, &end, 10);
	return errno || *end != '\0' ? EINVAL : 0;
}

static int
tc_id(json_object *v, uint64_t *id)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		*id = (uint64_t)x;
		return x > 0 ? 0 : EINVAL;
	}
	if (!json_object_is_type(v, json_type_string))
		return EINVAL;
	return res_parse_id(json_object_get_string(v), id);
}

/*
 * Reads the fields of TransConfig entry i into tc. all: every field is
 * required (a new TransConfig). Action and Id are the caller's.
 */
static enum api_err
tc_parse(struct api_req *r, json_object *o, unsigned i, struct tpl_tc *tc,
    int all)
{
	unsigned given = 0;	/* bit 0 Name, 1 VideoCodec, 2+ tc_nums */

	json_object_object_foreach(o, key, val) {
		const char *s = json_object_get_string(val);
		size_t k;

		if (strcmp(key, "Action") == 0 || strcmp(key, "Id") == 0)
			continue;
		if (strcmp(key, "Name") == 0) {
			if (!json_object_is_type(val, json_type_string) ||
			    *s == '\0' || strlen(s) > TC_NAME_MAX ||
			    s[strspn(s, LOWER UPPER DIGITS)] != '\0')
				return api_fail(r, AE_INVALID_PARAMETER,
				    "The parameter TransConfigsJSON[%u].Name "
				    "must be 1 to %d letters and digits.", i,
				    TC_NAME_MAX);
			snprintf(tc->name, sizeof(tc->name), "%s", s);
			given |= 1;
			continue;
		}
		if (strcmp(key, "VideoCodec") == 0) {
			if (!json_object_is_type(val, json_type_string) ||
			    strcmp(s, "h264") != 0)
				return api_fail(r, AE_INVALID_PARAMETER,
				    "The parameter TransConfigsJSON[%u]."
				    "VideoCodec must be h264.", i);
			snprintf(tc->codec, sizeof(tc->codec), "%s", s);
			given |= 2;
			continue;
		}
		for (k = 0; k < TC_NNUM && strcmp(key, tc_nums[k].name); k++)
			;
		if (k == TC_NNUM)
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter TransConfigsJSON[%u] has an unknown "
			    "field %.32s.", i, key);
		if (tc_int(val, &tc->n[k]) != 0 || tc->n[k] < tc_nums[k].min ||
		    tc->n[k] > tc_nums[k].max ||
		    (tc_nums[k].even && tc->n[k] % 2 != 0))
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter TransConfigsJSON[%u].%s must be %s "
			    "integer from %ld to %ld.", i, key,
			    tc_nums[k].even ? "an even" : "an",
			    tc_nums[k].min, tc_nums[k].max);
		given |= 4u << k;
	}
	for (size_t k = 0; all && k < 2 + TC_NNUM; k++)
		if (!(given & (1u << k)))
			return api_fail(r, AE_MISSING_PARAMETER, "The input "
			    "parameter TransConfigsJSON[%u].%s is mandatory.",
			    i, k == 0 ? "Name" : k == 1 ? "VideoCodec" :
			    tc_nums[k - 2].name);
	return AE_OK;
}

/* The TransConfigsJSON array, of 1 to max objects; *arr owned by caller. */
static enum api_err
tc_array(struct api_req *r, unsigned max, json_object **arr)
{
	json_object *a = json_tokener_parse(api_param(r, "TransConfigsJSON"));
	size_t n;

	*arr = NULL;
	if (a == NULL || !json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) == 0 || n > max) {
		json_object_put(a);
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "TransConfigsJSON must be a JSON array of 1 to %u "
		    "TransConfig objects.", max);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		    json_type_object)) {
			json_object_put(a);
			return api_fail(r, AE_INVALID_PARAMETER, "The "
			    "parameter TransConfigsJSON[%zu] must be a JSON "
			    "object.", i);
		}
	*arr = a;
	return AE_OK;
}

/* The action of entry i: create, modify or delete; def when absent. */
static enum api_err
tc_action(struct api_req *r, json_object *o, unsigned i, const char *def,
    const char **action)
{
	static const char *const actions[] = { "create", "modify", "delete",
	    NULL };
	json_object *v;
	int k;

	if (!json_object_object_get_ex(o, "Action", &v)) {
		if ((*action = def) == NULL)
			return api_fail(r, AE_MISSING_PARAMETER, "The input "
			    "parameter TransConfigsJSON[%u].Action is "
			    "mandatory.", i);
		return AE_OK;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    (k = tpl_index(actions, json_object_get_string(v))) < 0 ||
	    (def != NULL && strcmp(actions[k], def) != 0))
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "TransConfigsJSON[%u].Action must be %s.", i, def ? def :
		    "create, modify or delete");
	*action = actions[k];
	return AE_OK;
}

/* What is left must be 1 to TC_MAX TransConfigs with distinct names. */
static enum api_err
tc_final(struct api_req *r, const struct tpl *t)
{
	unsigned live = 0;

	for (unsigned i = 0; i < t->ntc; i++) {
		if (t->tc[i].gone)
			continue;
		live++;
		for (unsigned j = 0; j < i; j++)
			if (!t->tc[j].gone &&
			    strcmp(t->tc[i].name, t->tc[j].name) == 0)
				return api_fail(r, AE_INVALID_PARAMETER, "The "
				    "parameter TransConfigsJSON gives two "
				    "TransConfigs the Name %s.", t->tc[i].name);
	}
	if (live == 0 || live > TC_MAX)
		return api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "TransConfigsJSON would leave %u TransConfigs; a transcode "
		    "template has 1 to %d.", live, TC_MAX);
	return AE_OK;
}

/* CreateTemplate: every entry is a new TransConfig (Action create, no Id). */
static enum api_err
tc_create(struct api_req *r, struct tpl *t)
{
	json_object *a, *o;
	const char *action;
	enum api_err e;

	if ((e = tc_array(r, TC_MAX, &a)) != AE_OK)
		return e;
	for (unsigned i = 0; i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if ((e = tc_action(r, o, i, "create", &action)) != AE_OK)
			break;
		if (json_object_object_get_ex(o, "Id", NULL)) {
			e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "TransConfigsJSON[%u].Id must not be given to "
			    "create a TransConfig.", i);
			break;
		}
		if ((e = tc_parse(r, o, i, &t->tc[t->ntc++], 1)) != AE_OK)
			break;
	}
	json_object_put(a);
	return e != AE_OK ? e : tc_final(r, t);
}

/*
 * ModifyTemplate: entries {"Action": "create", ...all fields},
 * {"Action": "modify", "Id": ..., ...fields to change} and
 * {"Action": "delete", "Id": ...} applied to t's TransConfigs.
 */
static enum api_err
tc_modify(struct api_req *r, struct tpl *t)
{
	json_object *a, *o, *v;
	const char *action;
	enum api_err e = AE_OK;
	uint64_t id;
	unsigned i, k;

	if ((e = tc_array(r, TC_ENTRIES_MAX, &a)) != AE_OK)
		return e;
	for (i = 0; e == AE_OK && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if ((e = tc_action(r, o, i, NULL, &action)) != AE_OK)
			break;
		if (strcmp(action, "create") == 0) {
			if (json_object_object_get_ex(o, "Id", NULL))
				e = api_fail(r, AE_INVALID_PARAMETER, "The "
				    "parameter TransConfigsJSON[%u].Id must "
				    "not be given to create a TransConfig.", i);
			else
				e = tc_parse(r, o, i, &t->tc[t->ntc++], 1);
			continue;
		}
		if (!json_object_object_get_ex(o, "Id", &v)) {
			e = api_fail(r, AE_MISSING_PARAMETER, "The input "
			    "parameter TransConfigsJSON[%u].Id is mandatory to "
			    "%s a TransConfig.", i, action);
			break;
		}
		k = t->ntc;
		if (tc_id(v, &id) == 0)
			for (k = 0; k < t->ntc && t->tc[k].id != id; k++)
				;
		if (k == t->ntc) {
			e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "TransConfigsJSON[%u].Id names no TransConfig of "
			    "this template.", i);
			break;
		}
		if (t->tc[k].touched) {
			e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "TransConfigsJSON[%u].Id names a TransConfig "
			    "already changed by this request.", i);
			break;
		}
		t->tc[k].touched = 1;
		if (strcmp(action, "delete") == 0)
			t->tc[k].gone = 1;
		else
			e = tc_parse(r, o, i, &t->tc[k], 0);
	}
	json_object_put(a);
	return e != AE_OK ? e : tc_final(r, t);
}

static int
tc_load(struct api_req *r, struct tpl *t)
{
	struct db_res *res;
	int error;

	if ((error = db_query(r->db, &res, tpl_tc_select_sql, "i",
	    (int64_t)t->id)) != 0)
		return error;
	t->ntc = db_res_rows(res) < TC_MAX ? db_res_rows(res) : TC_MAX;
	for (unsigned i = 0; i < t->ntc; i++) {
		struct tpl_tc *tc = &t->tc[i];

		tc->id = strtoull(db_res_get(res, i, 0, NULL), NULL, 10);
		snprintf(tc->name, sizeof(tc->name), "%s",
		    db_res_get(res, i, 1, NULL));
		snprintf(tc->codec, sizeof(tc->codec), "%s",
		    db_res_get(res, i, 2, NULL));
		for (size_t k = 0; k < TC_NNUM; k++)
			tc->n[k] = strtol(db_res_get(res, i, 3 + k, NULL),
			    NULL, 10);
	}
	db_res_free(res);
	return 0;
}

/* Rewrites the TransConfigs: ids are kept, so names can be swapped. */
static int
tc_store(struct api_req *r, struct tpl *t)
{
	int error;

	if ((error = db_exec(r->db, NULL, tpl_tc_delete_sql, "i",
	    (int64_t)t->id)) != 0)
		return error;
	for (unsigned i = 0; i < t->ntc; i++) {
		struct tpl_tc *tc = &t->tc[i];

		if (tc->gone)
			continue;
		if (tc->id == 0 && (error = res_new_id(&tc->id)) != 0)
			return error;
		if ((error = db_exec(r->db, NULL, tpl_tc_insert_sql,
		    "iissiiiii", (int64_t)tc->id, (int64_t)t->id, tc->name,
		    tc->codec, (int64_t)tc->n[0], (int64_t)tc->n[1],
		    (int64_t)tc->n[2], (int64_t)tc->n[3],
		    (int64_t)tc->n[4])) != 0)
			return error;
	}
	return 0;
}

/* Rows and JSON */

/* Reads a row of "id, type, created_at, <fields>" into a new tpl. */
static struct tpl *
tpl_from_row(struct db_res *res, unsigned row)
{
	struct tpl *t;
	int type = tpl_index(tpl_types, db_res_get(res, row, 1, NULL));

	if (type < 0 || (t = tpl_new(type)) == NULL)
		return NULL;
	t->id = strtoull(db_res_get(res, row, 0, NULL), NULL, 10);
	snprintf(t->created, sizeof(t->created), "%s",
	    db_res_get(res, row, 2, NULL));
	for (int i = 0; i < TF_COUNT; i++) {
		const char *v = db_res_get(res, row, 3 + i, NULL);

		if (tpl_set(t, i, v ? v : "") != 0) {
			tpl_free(t);
			return NULL;
		}
	}
	return t;
}

/* Ids are strings in JSON. */
static void
tpl_json_id(json_object *o, const char *key, uint64_t id)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, id);
	json_object_object_add(o, key, json_object_new_string(s));
}

/* Every field of the spec's table; those of other types "" or 0. */
static json_object *
tpl_json(const struct tpl *t)
{
	json_object *o = json_object_new_object(), *tcs, *c;

	tpl_json_id(o, "Id", t->id);
	json_object_object_add(o, "Type",
	    json_object_new_string(tpl_types[t->type]));
	for (int i = 0; i < TF_COUNT; i++) {
		const struct tpl_field *f = &tpl_fields[i];
		const char *v = f->types & TB(t->type) ? t->v[i] : NULL;

		if (f->is_int)
			res_json_int(o, f->name, v);
		else
			res_json_str(o, f->name, v);
	}
	res_json_time(o, "CreatedTime", t->created);
	tcs = json_object_new_array();
	for (unsigned i = 0; i < t->ntc; i++) {
		const struct tpl_tc *tc = &t->tc[i];

		c = json_object_new_object();
		tpl_json_id(c, "Id", tc->id);
		json_object_object_add(c, "Name",
		    json_object_new_string(tc->name));
		json_object_object_add(c, "VideoCodec",
		    json_object_new_string(tc->codec));
		for (size_t k = 0; k < TC_NNUM; k++)
			json_object_object_add(c, tc_nums[k].name,
			    json_object_new_int64(tc->n[k]));
		json_object_array_add(tcs, c);
	}
	json_object_object_add(o, "TransConfigs", tcs);
	return o;
}

/* SELECT of the template columns, FROM templates, without WHERE. */
static void
tpl_select(struct buf *b)
{
	buf_adds(b, "SELECT id, type, created_at");
	tpl_columns(b, "");
	buf_adds(b, " FROM templates");
}

/*
 * Loads template id of the caller (lock: FOR UPDATE) with its
 * TransConfigs; InvalidTemplate.NotFound when there is none.
 */
static enum api_err
tpl_load(struct api_req *r, uint64_t id, int lock, struct tpl **tp)
{
	struct buf q = { 0 };
	struct db_res *res = NULL;
	enum api_err e = AE_OK;
	int error;

	*tp = NULL;
	tpl_select(&q);
	buf_adds(&q, " WHERE id = ? AND tenant_id = ?");
	if (lock)
		buf_adds(&q, " FOR UPDATE");
	if (q.p == NULL)
		error = ENOMEM;
	else
		error = db_query(r->db, &res, q.p, "ii", (int64_t)id,
		    (int64_t)r->tenant_id);
	buf_free(&q);
	if (error)
		return api_fail_errno(r, error, "template lookup");
	if (db_res_rows(res) == 0)
		e = api_fail(r, AE_TEMPLATE_NOT_FOUND, "The template %" PRIu64
		    " does not exist.", id);
	else if ((*tp = tpl_from_row(res, 0)) == NULL)
		e = api_fail_errno(r, ENOMEM, "template row");
	db_res_free(res);
	if (e == AE_OK && (*tp)->type == TPL_TRANSCODE &&
	    (error = tc_load(r, *tp)) != 0) {
		tpl_free(*tp);
		*tp = NULL;
		e = api_fail_errno(r, error, "trans configs");
	}
	return e;
}

static int
tpl_insert(struct api_req *r, const struct tpl *t)
{
	struct db_arg args[3 + TF_COUNT];
	struct buf q = { 0 };
	int error;

	buf_adds(&q, "INSERT INTO templates (id, tenant_id, type");
	tpl_columns(&q, "");
	buf_adds(&q, ") VALUES (?, ?, ?");
	for (int i = 0; i < TF_COUNT; i++)
		buf_adds(&q, ", ?");
	buf_adds(&q, ")");
	args[0] = (struct db_arg){ .type = 'i', .i = (int64_t)t->id };
	args[1] = (struct db_arg){ .type = 'i', .i = (int64_t)r->tenant_id };
	args[2] = (struct db_arg){ .type = 's', .s = tpl_types[t->type] };
	for (int i = 0; i < TF_COUNT; i++)
		args[3 + i] = tpl_fields[i].is_int ?
		    (struct db_arg){ .type = 'i',
		    .i = strtoll(t->v[i], NULL, 10) } :
		    (struct db_arg){ .type = 's', .s = t->v[i] };
	error = q.p ? db_execv(r->db, NULL, q.p, args, 3 + TF_COUNT) : ENOMEM;
	buf_free(&q);
	return error;
}

static int
tpl_update(struct api_req *r, const struct tpl *t)
{
	struct db_arg args[TF_COUNT + 2];
	struct buf q = { 0 };
	int error;

	buf_adds(&q, "UPDATE templates SET id = id");
	tpl_columns(&q, " = ?");
	buf_adds(&q, " WHERE id = ? AND tenant_id = ?");
	for (int i = 0; i < TF_COUNT; i++)
		args[i] = tpl_fields[i].is_int ?
		    (struct db_arg){ .type = 'i',
		    .i = strtoll(t->v[i], NULL, 10) } :
		    (struct db_arg){ .type = 's', .s = t->v[i] };
	args[TF_COUNT] = (struct db_arg){ .type = 'i', .i = (int64_t)t->id };
	args[TF_COUNT + 1] = (struct db_arg){ .type = 'i',
	    .i = (int64_t)r->tenant_id };
	error = q.p ? db_execv(r->db, NULL, q.p, args, TF_COUNT + 2) : ENOMEM;
	buf_free(&q);
	return error;
}

/* Handlers: templates */

static enum api_err
tpl_create(struct api_req *r)
{
	struct tpl *t;
	enum api_err e;
	int type, error;

	if ((e = res_enum(r, "Type", tpl_types)) != AE_OK)
		return e;
	type = tpl_index(tpl_types, api_param(r, "Type"));
	if ((t = tpl_new(type)) == NULL)
		return api_fail_errno(r, ENOMEM, "CreateTemplate");
	if ((e = tpl_apply(r, t, 1)) != AE_OK ||
	    (e = tpl_normalize(r, t)) != AE_OK)
		goto out;
	if (type == TPL_TRANSCODE && res_str(r, "TransConfigsJSON") == NULL) {
		e = api_fail(r, AE_MISSING_PARAMETER, "The input parameter "
		    "TransConfigsJSON is mandatory for a transcode template.");
		goto out;
	}
	if (type != TPL_TRANSCODE && res_str(r, "TransConfigsJSON") != NULL) {
		e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "TransConfigsJSON does not apply to a %s template.",
		    tpl_types[type]);
		goto out;
	}
	if (type == TPL_TRANSCODE && (e = tc_create(r, t)) != AE_OK)
		goto out;
	if ((error = res_new_id(&t->id)) != 0 ||
	    (error = db_begin(r->db)) != 0) {
		e = api_fail_errno(r, error, "CreateTemplate");
		goto out;
	}
	if ((error = tpl_insert(r, t)) != 0 ||
	    (type == TPL_TRANSCODE && (error = tc_store(r, t)) != 0) ||
	    (error = db_commit(r->db)) != 0) {
		db_rollback(r->db);
		e = api_fail_errno(r, error, "CreateTemplate");
		goto out;
	}
	tpl_json_id(res_body(r), "Id", t->id);
out:
	tpl_free(t);
	return e;
}

static enum api_err
tpl_modify(struct api_req *r)
{
	struct tpl *t = NULL;
	enum api_err e;
	uint64_t id;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "ModifyTemplate");
	if ((e = tpl_load(r, id, 1, &t)) != AE_OK ||
	    (e = tpl_apply(r, t, 0)) != AE_OK ||
	    (e = tpl_normalize(r, t)) != AE_OK)
		goto out;
	if (res_str(r, "TransConfigsJSON") != NULL) {
		if (t->type != TPL_TRANSCODE) {
			e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
			    "TransConfigsJSON does not apply to a %s "
			    "template.", tpl_types[t->type]);
			goto out;
		}
		if ((e = tc_modify(r, t)) != AE_OK)
			goto out;
		if ((error = tc_store(r, t)) != 0) {
			e = api_fail_errno(r, error, "ModifyTemplate");
			goto out;
		}
	}
	if ((error = tpl_update(r, t)) != 0 ||
	    (error = db_commit(r->db)) != 0) {
		e = api_fail_errno(r, error, "ModifyTemplate");
		goto out;
	}
	tpl_json_id(res_body(r), "Id", id);
out:
	if (e != AE_OK)
		db_rollback(r->db);
	if (t != NULL)
		tpl_free(t);
	return e;
}

static enum api_err
tpl_delete(struct api_req *r)
{
	struct db_res *res;
	struct tpl *t = NULL;
	enum api_err e;
	uint64_t id;
	long bound = 0;
	int error;

	if ((e = res_id(r, "Id", &id)) != AE_OK)
		return e;
	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "DeleteTemplate");
	if ((e = tpl_load(r, id, 1, &t)) != AE_OK)
		goto out;
	if ((error = db_query(r->db, &res, tpl_bound_sql, "ii",
	    (int64_t)r->tenant_id, (int64_t)id)) != 0)
		goto fail;
	bound = strtol(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	if (bound > 0) {
		e = api_fail(r, AE_TEMPLATE_STATUS, "The template %" PRIu64
		    " is bound to %ld instance(s); unbind it first.", id,
		    bound);
		goto out;
	}
	/* Only bindings of deleted spaces and streams are left. */
	if ((error = db_exec(r->db, NULL, tpl_unbind_all_sql, "ii",
	    (int64_t)r->tenant_id, (int64_t)id)) != 0 ||
	    (error = db_exec(r->db, NULL, tpl_tc_delete_sql, "i",
	    (int64_t)id)) != 0 ||
	    (error = db_exec(r->db, NULL, tpl_delete_sql, "ii", (int64_t)id,
	    (int64_t)r->tenant_id)) != 0 ||
	    (error = db_commit(r->db)) != 0)
		goto fail;
	tpl_free(t);
	return AE_OK;
fail:
	e = api_fail_errno(r, error, "DeleteTemplate");
out:
	db_rollback(r->db);
	if (t != NULL)
		tpl_free(t);
	return e;
}

static enum api_err
tpl_describe(struct api_req *r)
{
	struct tpl *t;
	enum api_err e;
	uint64_t id;

	if ((e = res_id(r, "Id", &id)) != AE_OK ||
	    (e = tpl_load(r, id, 0, &t)) != AE_OK)
		return e;
	json_object_put(r->body);
	r->body = tpl_json(t);
	tpl_free(t);
	return AE_OK;
}

/* The WHERE of DescribeTemplates: tenant, Type, InstanceId. */
static void
tpl_filter(struct api_req *r, struct res_sql *q, uint64_t inst)
{
	res_sql_int(q, " WHERE tenant_id = ?", (int64_t)r->tenant_id);
	if (res_str(r, "Type") != NULL)
		res_sql_str(q, " AND type = ?", res_str(r, "Type"));
	if (inst != 0) {
		res_sql_add(q, tpl_effective_sql);
		res_sql_int(q, "", (int64_t)r->tenant_id);
		res_sql_int(q, "", (int64_t)inst);
		res_sql_int(q, "", (int64_t)r->tenant_id);
		res_sql_int(q, "", (int64_t)inst);
	}
}

static enum api_err
tpl_list(struct api_req *r)
{
	struct res_sql cq = { 0 }, lq = { 0 };
	struct db_res *cres = NULL, *lres = NULL;
	struct res_page pg;
	json_object *list;
	enum api_err e;
	uint64_t inst = 0;
	long total;
	int error;

	if ((e = res_enum(r, "Type", tpl_types)) != AE_OK ||
	    (res_str(r, "InstanceId") != NULL &&
	    (e = res_id(r, "InstanceId", &inst)) != AE_OK))
		return e;
	res_page(r, &pg);
	res_sql_add(&cq, "SELECT COUNT(*) FROM templates");
	tpl_filter(r, &cq, inst);
	tpl_select(&lq.text);
	tpl_filter(r, &lq, inst);
	if ((e = res_order(r, tpl_sorts, &lq)) != AE_OK)
		goto out;
	res_sql_page(&lq, &pg);
	if ((error = res_sql_query(r, &cq, &cres)) != 0 ||
	    (error = res_sql_query(r, &lq, &lres)) != 0) {
		e = api_fail_errno(r, error, "DescribeTemplates");
		goto out;
	}
	total = strtol(db_res_get(cres, 0, 0, NULL), NULL, 10);
	list = json_object_new_array();
	json_object_object_add(res_body(r), "Templates", list);
	res_page_json(r->body, &pg, total);
	for (unsigned i = 0; i < db_res_rows(lres); i++) {
		struct tpl *t = tpl_from_row(lres, i);

		if (t == NULL) {
			e = api_fail_errno(r, ENOMEM, "template row");
			goto out;
		}
		if (t->type == TPL_TRANSCODE && (error = tc_load(r, t)) != 0) {
			tpl_free(t);
			e = api_fail_errno(r, error, "trans configs");
			goto out;
		}
		json_object_array_add(list, tpl_json(t));
		tpl_free(t);
	}
out:
	db_res_free(cres);
	db_res_free(lres);
	res_sql_free(&cq);
	res_sql_free(&lq);
	return e;
}

/* Handlers: bindings */

struct tpl_bind {
	uint64_t	 template_id;
	int		 type;		/* TPL_* */
	const char	*itype;		/* group | stream */
	int		 group;
	int		 apply_all;
	int		 replace;
};

/*
 * The template of a binding must be the caller's and of TemplateType
 * (lock: held in share mode until the transaction ends).
 */
static enum api_err
tpl_bind_template(struct api_req *r, const struct tpl_bind *b, int lock)
{
	struct db_res *res;
	enum api_err e = AE_OK;
	int error;

	if ((error = db_query(r->db, &res, lock ? tpl_type_lock_sql :
	    tpl_type_sql, "ii", (int64_t)b->template_id,
	    (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, "template lookup");
	if (db_res_rows(res) == 0)
		e = api_fail(r, AE_TEMPLATE_NOT_FOUND, "The template %" PRIu64
		    " does not exist.", b->template_id);
	else if (tpl_index(tpl_types, db_res_get(res, 0, 0, NULL)) != b->type)
		e = api_fail(r, AE_INVALID_PARAMETER, "The parameter "
		    "TemplateType %s differs from the template's type %s.",
		    tpl_types[b->type], db_res_get(res, 0, 0, NULL));
	db_res_free(res);
	return e;
}

/* Parameters common to the bind Actions, and the template check. */
static enum api_err
tpl_bind_args(struct api_req *r, struct tpl_bind *b)
{
	enum api_err e;

	if ((e = res_id(r, "TemplateId", &b->template_id)) != AE_OK ||
	    (e = res_enum(r, "TemplateType", tpl_types)) != AE_OK ||
	    (e = res_enum(r, "InstanceType", tpl_instance_types)) != AE_OK)
		return e;
	b->type = tpl_index(tpl_types, api_param(r, "TemplateType"));
	b->itype = api_param(r, "InstanceType");
	b->group = strcmp(b->itype, "group") == 0;
	b->apply_all = res_bool(r, "ApplyAll", 0);
	b->replace = res_bool(r, "Replace", 0);
	return tpl_bind_template(r, b, 0);
}

/* The space or stream inst of the caller, locked against deletion. */
static enum api_err
tpl_instance(struct api_req *r, const struct tpl_bind *b, uint64_t inst)
{
	struct db_res *res;
	enum api_err e = AE_OK;
	int error;

	if ((error = db_query(r->db, &res, b->group ? tpl_space_lock_sql :
	    tpl_stream_lock_sql, "ii", (int64_t)inst,
	    (int64_t)r->tenant_id)) != 0)
		return api_fail_errno(r, error, "instance lookup");
	if (db_res_rows(res) == 0)
		e = b->group ? api_fail(r, AE_GROUP_NOT_FOUND, "The group %"
		    PRIu64 " does not exist.", inst) :
		    api_fail(r, AE_STREAM_NOT_FOUND, "The stream %" PRIu64
		    " does not exist.", inst);
	db_res_free(res);
	return e;
}

/* Binds inst's own binding of the type (Replace rules of NOTES 7). */
static enum api_err
tpl_bind_row(struct api_req *r, const struct tpl_bind *b, uint64_t inst)
{
	const char *type = tpl_types[b->type];
	struct db_res *res;
	uint64_t cur = 0;
	int error;

	if ((error = db_query(r->db, &res, tpl_binding_sql, "isis",
	    (int64_t)r->tenant_id, b->itype, (int64_t)inst, type)) != 0)
		return api_fail_errno(r, error, "binding lookup");
	if (db_res_rows(res) > 0)
		cur = strtoull(db_res_get(res, 0, 0, NULL), NULL, 10);
	db_res_free(res);
	if (cur == 0)
		error = db_exec(r->db, NULL, tpl_binding_insert_sql, "isisi",
		    (int64_t)r->tenant_id, b->itype, (int64_t)inst, type,
		    (int64_t)b->template_id);
	else if (cur == b->template_id || b->replace)
		error = db_exec(r->db, NULL, tpl_binding_update_sql, "iisis",
		    (int64_t)b->template_id, (int64_t)r->tenant_id, b->itype,
		    (int64_t)inst, type);
	if (error == EEXIST || (cur != 0 && cur != b->template_id &&
	    !b->replace))
		return api_fail(r, AE_CONFIG_EXISTS, "The %s %" PRIu64
		    " already has a %s template bound; set Replace to true to "
		    "replace it.", b->itype, inst, type);
	return error ? api_fail_errno(r, error, "bind") : AE_OK;
}

static enum api_err
tpl_bind_one(struct api_req *r, const struct tpl_bind *b, uint64_t inst)
{
	enum api_err e;
	int error;

	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "bind");
	if ((e = tpl_bind_template(r, b, 1)) != AE_OK ||
	    (e = tpl_instance(r, b, inst)) != AE_OK ||
	    (e = tpl_bind_row(r, b, inst)) != AE_OK)
		goto out;
	if (b->group && ((error = db_exec(r->db, NULL, tpl_follow_sql, "iiis",
	    (int64_t)b->template_id, (int64_t)r->tenant_id, (int64_t)inst,
	    tpl_types[b->type])) != 0 || (b->apply_all &&
	    (error = db_exec(r->db, NULL, b->replace ? tpl_apply_replace_sql :
	    tpl_apply_keep_sql, "siii", tpl_types[b->type],
	    (int64_t)b->template_id, (int64_t)r->tenant_id,
	    (int64_t)inst)) != 0))) {
		e = api_fail_errno(r, error, "bind streams");
		goto out;
	}
	if ((error = db_commit(r->db)) != 0)
		e = api_fail_errno(r, error, "bind");
out:
	if (e != AE_OK)
		db_rollback(r->db);
	return e;
}

/*
 * Removes the binding of inst to the template, and for a space the stream
 * bindings its ApplyAll made. Unbinding what is not bound succeeds: the
 * state asked for holds (and a retry is harmless).
 */
static enum api_err
tpl_unbind_one(struct api_req *r, const struct tpl_bind *b, uint64_t inst)
{
	const char *type = tpl_types[b->type];
	enum api_err e;
	int error;

	if ((error = db_begin(r->db)) != 0)
		return api_fail_errno(r, error, "unbind");
	if ((e = tpl_bind_template(r, b, 1)) != AE_OK ||
	    (e = tpl_instance(r, b, inst)) != AE_OK)
		goto out;
	if ((error = db_exec(r->db, NULL, tpl_unbind_sql, "isisi",
	    (int64_t)r->tenant_id, b->itype, (int64_t)inst, type,
	    (int64_t)b->template_id)) != 0 ||
	    (b->group && (error = db_exec(r->db, NULL, tpl_unbind_via_sql,
	    "iisi", (int64_t)r->tenant_id, (int64_t)inst, type,
	    (int64_t)b->template_id)) != 0) ||
	    (error = db_commit(r->db)) != 0)
		e = api_fail_errno(r, error, "unbind");
out:
	if (e != AE_OK)
		db_rollback(r->db);
	return e;
}

static void
tpl_binding_json(json_object *o, const struct api_req *r, const char *inst)
{
	json_object_object_add(o, "TemplateId",
	    json_object_new_string(api_param(r, "TemplateId")));
	json_object_object_add(o, "TemplateType",
	    json_object_new_string(api_param(r, "TemplateType")));
	json_object_object_add(o, "InstanceId", json_object_new_string(inst));
	json_object_object_add(o, "InstanceType",
	    json_object_new_string(api_param(r, "InstanceType")));
}

typedef enum api_err tpl_bind_fn(struct api_req *, const struct tpl_bind *,
    uint64_t);

static enum api_err
tpl_bind_single(struct api_req *r, tpl_bind_fn *fn)
{
	struct tpl_bind b;
	enum api_err e;
	uint64_t inst;

	if ((e = tpl_bind_args(r, &b)) != AE_OK ||
	    (e = res_id(r, "InstanceId", &inst)) != AE_OK ||
	    (e = fn(r, &b, inst)) != AE_OK)
		return e;
	tpl_binding_json(res_body(r), r, api_param(r, "InstanceId"));
	return AE_OK;
}

/*
 * Batch*: the template and types hold for the whole call; each InstanceId
 * is done in its own transaction and answered in Results[], with Error
 * "<Code>: <Message>" when it failed.
 */
static enum api_err
tpl_bind_batch(struct api_req *r, tpl_bind_fn *fn)
{
	struct tpl_bind b;
	json_object *results, *o;
	enum api_err e;
	char **ids, err[600];
	unsigned n;
	uint64_t inst;

	if ((e = tpl_bind_args(r, &b)) != AE_OK ||
	    (e = res_split(r, "InstanceId", &ids, &n)) != AE_OK)
		return e;
	results = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		o = json_object_new_object();
		tpl_binding_json(o, r, ids[i]);
		if (res_parse_id(ids[i], &inst) != 0)
			api_fail(r, AE_INVALID_PARAMETER, "The InstanceId "
			    "%.24s is not a numeric id.", ids[i]);
		else
			fn(r, &b, inst);
		if (r->err != AE_OK) {
			snprintf(err, sizeof(err), "%s: %s",
			    api_err_code(r->err), r->message);
			json_object_object_add(o, "Error",
			    json_object_new_string(err));
			r->err = AE_OK;
			r->message[0] = '\0';
		}
		json_object_array_add(results, o);
	}
	res_split_free(ids, n);
	json_object_object_add(res_body(r), "Results", results);
	return AE_OK;
}

static enum api_err
tpl_bind(struct api_req *r)
{
	return tpl_bind_single(r, tpl_bind_one);
}

static enum api_err
tpl_unbind(struct api_req *r)
{
	return tpl_bind_single(r, tpl_unbind_one);
}

static enum api_err
tpl_batch_bind(struct api_req *r)
{
	return tpl_bind_batch(r, tpl_bind_one);
}

static enum api_err
tpl_batch_unbind(struct api_req *r)
{
	return tpl_bind_batch(r, tpl_unbind_one);
}

const struct route template_routes[] = {
	{ "BatchBindTemplate", tpl_batch_bind, PERM_TENANT,
	    tpl_batch_bind_params },
	{ "BatchUnbindTemplate", tpl_batch_unbind, PERM_TENANT,
	    tpl_batch_unbind_params },
	{ "BindTemplate", tpl_bind, PERM_TENANT, tpl_bind_params },
	{ "CreateTemplate", tpl_create, PERM_TENANT, tpl_create_params },
	{ "DeleteTemplate", tpl_delete, PERM_TENANT, tpl_id_params },
	{ "DescribeTemplate", tpl_describe, PERM_TENANT, tpl_id_params },
	{ "DescribeTemplates", tpl_list, PERM_TENANT, tpl_list_params },
	{ "ModifyTemplate", tpl_modify, PERM_TENANT, tpl_modify_params },
	{ "UnbindTemplate", tpl_unbind, PERM_TENANT, tpl_unbind_params },
	{ NULL, NULL, 0, NULL }
};
