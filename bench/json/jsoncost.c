/*
 * jsoncost - what one relayed candidate message costs in JSON work, per library.
 *
 * signald parses every relayed message with jansson and serialises the relayed copy
 * (proto/signal_msg.c); perf puts half of its relay CPU there (README.md, Performance). This
 * measures the same 649-byte message with jansson (parse, dump), yajl (streaming validate, and
 * validate + re-emit through its generator: what a streaming relay path would do) and cJSON,
 * to size the decision in the issue notes. Not part of the build: yajl and cJSON are not
 * dependencies of the project.
 *
 *   apt-get install libjansson-dev libyajl-dev libcjson-dev
 *   cc -O2 -Wall -Wextra -o jsoncost bench/json/jsoncost.c -ljansson -lyajl -lcjson
 *   ./jsoncost [ITERATIONS]     # prints microseconds per message for each
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <jansson.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

static char msg[1024];
static size_t msg_len;
static size_t sink; /* keeps the compiler from dropping the work */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A candidate message as sigload sends it: 600 bytes of candidate text, nothing to escape. */
static void build_message(void)
{
	char cand[600];
	const char *head = "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host ts=0000000000000 ";
	size_t n = strlen(head);
	memcpy(cand, head, n);
	for (size_t i = n; i < 560; i++)
		cand[i] = (char)('a' + i % 26);
	cand[560] = '\0';
	msg_len = (size_t)snprintf(msg, sizeof(msg),
				   "{\"type\":\"candidate\",\"to\":\"mfrggzdfmztwq2lknnwg23tpoa\","
				   "\"candidate\":\"%s\",\"mid\":\"0\",\"mline\":0}", cand);
}

/* yajl callbacks that re-emit every event into a generator. */
static int y_null(void *g) { return yajl_gen_null(g) == yajl_gen_status_ok; }
static int y_bool(void *g, int b) { return yajl_gen_bool(g, b) == yajl_gen_status_ok; }
static int y_num(void *g, const char *s, size_t l)
{
	return yajl_gen_number(g, s, l) == yajl_gen_status_ok;
}
static int y_str(void *g, const unsigned char *s, size_t l)
{
	return yajl_gen_string(g, s, l) == yajl_gen_status_ok;
}
static int y_map_open(void *g) { return yajl_gen_map_open(g) == yajl_gen_status_ok; }
static int y_map_close(void *g) { return yajl_gen_map_close(g) == yajl_gen_status_ok; }
static int y_arr_open(void *g) { return yajl_gen_array_open(g) == yajl_gen_status_ok; }
static int y_arr_close(void *g) { return yajl_gen_array_close(g) == yajl_gen_status_ok; }
static const yajl_callbacks reemit = {y_null,     y_bool,      NULL,       NULL,
				      y_num,      y_str,       y_map_open, y_str,
				      y_map_close, y_arr_open, y_arr_close};

static void jansson_load(void)
{
	json_error_t e;
	json_t *j = json_loadb(msg, msg_len, JSON_REJECT_DUPLICATES, &e);
	sink += json_object_size(j);
	json_decref(j);
}

static json_t *parsed;
static void jansson_dump(void)
{
	char out[2048];
	sink += json_dumpb(parsed, out, sizeof(out), JSON_COMPACT);
}

static void yajl_validate(void)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	if (yajl_parse(h, (const unsigned char *)msg, msg_len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok)
		abort();
	yajl_free(h);
}

static void yajl_reemit(void)
{
	const unsigned char *out;
	size_t len;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_handle h = yajl_alloc(&reemit, NULL, g);
	if (yajl_parse(h, (const unsigned char *)msg, msg_len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok)
		abort();
	yajl_gen_get_buf(g, &out, &len);
	sink += len;
	yajl_free(h);
	yajl_gen_free(g);
}

static void cjson_parse(void)
{
	cJSON *c = cJSON_ParseWithLength(msg, msg_len);
	sink += c != NULL;
	cJSON_Delete(c);
}

static void measure(const char *what, void (*fn)(void), int n)
{
	for (int i = 0; i < n / 10; i++) /* warm up */
		fn();
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		fn();
	printf("%-34s %6.2f us\n", what, (now_s() - t0) / n * 1e6);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000;
	if (n <= 0)
		return 2;
	build_message();
	json_error_t e;
	parsed = json_loadb(msg, msg_len, 0, &e);
	if (!parsed)
		return 1;
	printf("message: %zu bytes, %d iterations each\n", msg_len, n);
	measure("jansson json_loadb", jansson_load, n);
	measure("jansson json_dumpb", jansson_dump, n);
	measure("yajl validate", yajl_validate, n);
	measure("yajl validate + re-emit", yajl_reemit, n);
	measure("cJSON parse", cjson_parse, n);
	json_decref(parsed);
	return sink == 0; /* never 0 in practice; keeps sink alive */
}
