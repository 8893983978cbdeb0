/*
 * libFuzzer target for sipd's MANSCDP side without a database: the input
 * is up to 4 bodies separated by "\xff\xff\xff", each parsed (and the tree
 * checked against manscdp.h's promises) and handled as one device's
 * MESSAGE, so catalog aggregation spans them; then the clock jumps past the
 * catalog timeout and the device is forgotten.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sipd/manscdp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash, so libFuzzer keeps the input. */
#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static int64_t fuzz_now = 1000000;

static void
fuzz_utf8(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t chars = 0;

	while (*u != '\0') {
		size_t k = *u < 0x80 ? 1 : *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : 2;

		CHECK(*u < 0x80 || *u >= 0xc2);
		for (size_t i = 1; i < k; i++)
			CHECK((u[i] & 0xc0) == 0x80);
		u += k;
		chars++;
	}
	CHECK(chars <= max);
}

int
sip_message(struct sipd *sd, struct gb_dev *dev, const char *body,
    size_t len)
{
	CHECK(strlen(body) == len);
	return 0;
}

int
sip_subscribe(struct sipd *sd, struct gb_dev *dev, const char *event,
    int expires, const char *body, size_t len)
{
	CHECK(strlen(body) == len && expires >= 0);
	return 0;
}

void
keepalive_seen(struct sipd *sd, struct gb_dev *dev)
{
}

static int
fuzz_channel_known(struct sipd *sd, struct gb_dev *dev, const char *gb_id)
{
	CHECK(strlen(gb_id) == GB_ID_LEN);
	return gb_id[19] == '1';
}

static int
fuzz_catalog_apply(struct sipd *sd, struct gb_dev *dev,
    const struct catalog_item *items, size_t n)
{
	CHECK(n <= CATALOG_ITEMS_MAX);
	for (size_t i = 0; i < n; i++) {
		CHECK(items[i].id[0] != '\0');
		CHECK(items[i].channel == catalog_is_channel(items[i].id));
		fuzz_utf8(items[i].name, 128);
		CHECK((items[i].longitude[0] == '\0') ==
		    (items[i].latitude[0] == '\0'));
		for (size_t j = 0; j < i && j < 64; j++)
			CHECK(strcmp(items[i].id, items[j].id) != 0);
	}
	return 0;
}

static int
fuzz_device_info(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_devinfo *i)
{
	fuzz_utf8(i->vendor, 64);
	fuzz_utf8(i->model, 64);
	fuzz_utf8(i->firmware, 64);
	return 0;
}

static int
fuzz_position(struct sipd *sd, struct gb_dev *dev,
    const struct manscdp_position *p)
{
	CHECK(manscdp_coord_ok(p->longitude, 180));
	CHECK(manscdp_coord_ok(p->latitude, 90));
	CHECK(p->time == NULL || strlen(p->time) == 19);
	CHECK(strlen(p->speed) <= 32 && strlen(p->direction) <= 32 &&
	    strlen(p->altitude) <= 32);
	return 0;
}

static int
fuzz_alarm(struct sipd *sd, struct gb_dev *dev, const struct manscdp_alarm *a)
{
	fuzz_utf8(a->priority, 8);
	fuzz_utf8(a->method, 8);
	fuzz_utf8(a->type, 8);
	fuzz_utf8(a->time_raw, 32);
	fuzz_utf8(a->description, 1024);
	CHECK(a->time == NULL || strlen(a->time) == 19);
	return 0;
}

static int64_t
fuzz_clock(void)
{
	return fuzz_now;
}

static const struct manscdp_ops fuzz_ops = {
	fuzz_channel_known, fuzz_catalog_apply, fuzz_device_info,
	fuzz_position, fuzz_alarm, fuzz_clock
};

/* Every element reachable, named, with UTF-8 text; path lookups agree. */
static void
fuzz_walk(const struct manscdp_node *n, int depth, unsigned *count)
{
	CHECK(depth <= MANSCDP_DEPTH_MAX);
	for (; n != NULL; n = manscdp_sibling(n)) {
		const char *name = manscdp_name(n);
		const struct manscdp_node *same;

		CHECK(++*count <= MANSCDP_NODES_MAX);
		CHECK(name[0] != '\0');
		fuzz_utf8(manscdp_text(n, NULL), MANSCDP_BODY_MAX);
		if (strchr(name, '/') == NULL) {
			/* the first of its name under the parent */
			(void)manscdp_attr(n, "Num");
			same = manscdp_next(n);
			CHECK(same == NULL ||
			    strcmp(manscdp_name(same), name) == 0);
		}
		fuzz_walk(manscdp_first(n), depth + 1, count);
	}
}

static void
fuzz_one(struct gb_dev *dev, const char *body, size_t len)
{
	struct manscdp_doc *d;
	unsigned count = 0;
	int status;

	if (manscdp_parse(&d, body, len) == 0) {
		const struct manscdp_node *root = manscdp_root(d);

		CHECK(root != NULL);
		fuzz_walk(root, 1, &count);
		manscdp_free(d);
	} else
		CHECK(d == NULL);
	status = manscdp_handle(NULL, dev, body, len);
	CHECK(status == 200 || status == 400 || status == 500);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\xff\xff\xff";
	static struct gb_dev dev;
	const char *p = (const char *)data, *end = p + size;

	log_verbosity = -1;
	manscdp_set_ops(&fuzz_ops);
	memset(&dev, 0, sizeof(dev));
	dev.id = 1;
	dev.tenant_id = 1;
	memcpy(dev.gb_id, "34020000001320000002", GB_ID_LEN + 1);
	dev.auto_pos = 1;
	dev.pos_interval = 5;
	memcpy(dev.alarm_method, "5,7", 4);
	subscribe_start(NULL, &dev);
	for (int i = 0; i < 4 && p <= end; i++) {
		const char *q = memmem(p, (size_t)(end - p), sep, 3);
		size_t len = (size_t)((q ? q : end) - p);

		fuzz_one(&dev, p, len);
		fuzz_now += 1000;
		manscdp_tick(NULL);
		if (q == NULL)
			break;
		p = q + 3;
	}
	fuzz_now += CATALOG_TIMEOUT_MS + SUBSCRIBE_EXPIRES * 1000;
	manscdp_tick(NULL);
	manscdp_forget(NULL, &dev);
	CHECK(dev.mans == NULL);
	return 0;
}
