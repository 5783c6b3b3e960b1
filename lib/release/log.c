/* log.c: the build log — every step of a release with its inputs' and
 * outputs' digests, its duration and its result; JSON lines and a table. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "release/release.h"

int
release_log_step(struct release_log *log, const char *name, uint64_t t0_ns, int ok, json_t *inputs,
		 json_t *outputs, const char *detail)
{
	uint64_t now = ward_now_ns();
	double secs = (double)(now - t0_ns) / 1e9;
	time_t started = time(NULL) - (time_t)secs;
	char ts[32];
	json_t *o;

	if (log->steps == NULL && (log->steps = json_array()) == NULL) {
		json_decref(inputs);
		json_decref(outputs);
		return ward_err(WARD_EENV, "out of memory");
	}
	ward_time_rfc3339(started, ts);
	o = json_pack("{s:s,s:s,s:f,s:s,s:o,s:o}", "step", name, "started", ts, "seconds",
		      (double)(long long)(secs * 1000) / 1000, "result", ok ? "ok" : "failed",
		      "inputs", inputs ? inputs : json_object(), "outputs",
		      outputs ? outputs : json_object());
	if (o == NULL)
		return ward_err(WARD_EENV, "out of memory");
	if (detail != NULL && *detail)
		json_object_set_new(o, "detail", json_string(detail));
	json_array_append_new(log->steps, o);
	return 0;
}

char *
release_log_jsonl(const struct release_log *log)
{
	struct ward_buf b = {0};
	size_t i;
	json_t *s;

	json_array_foreach(log->steps, i, s)
	{
		char *line = ward_json_dump(s, 0);
		if (line == NULL) {
			ward_buf_free(&b);
			return NULL;
		}
		ward_buf_puts(&b, line);
		if (b.len == 0 || b.data[b.len - 1] != '\n')
			ward_buf_puts(&b, "\n");
		free(line);
	}
	if (b.data == NULL)
		ward_buf_puts(&b, "");
	return ward_buf_steal(&b);
}

char *
release_log_text(const struct release_log *log)
{
	struct ward_buf b = {0};
	size_t i, k;
	json_t *s;
	double total = 0;

	ward_buf_printf(&b, "%-4s %-34s %9s  %-6s  %s\n", "#", "step", "seconds", "result",
			"inputs -> outputs");
	json_array_foreach(log->steps, i, s)
	{
		const char *key;
		json_t *v;
		double secs = json_real_value(json_object_get(s, "seconds"));
		total += secs;
		ward_buf_printf(&b, "%-4zu %-34s %9.3f  %-6s", i + 1,
				json_string_value(json_object_get(s, "step")), secs,
				json_string_value(json_object_get(s, "result")));
		if (json_object_get(s, "detail"))
			ward_buf_printf(&b, "  %s",
					json_string_value(json_object_get(s, "detail")));
		ward_buf_puts(&b, "\n");
		k = 0;
		json_object_foreach(json_object_get(s, "inputs"), key, v)
		{
			ward_buf_printf(&b, "%44s in   %s %s\n", "", key,
					json_is_string(v) ? json_string_value(v) : "");
			k++;
		}
		json_object_foreach(json_object_get(s, "outputs"), key, v)
			ward_buf_printf(&b, "%44s out  %s %s\n", "", key,
					json_is_string(v) ? json_string_value(v) : "");
		(void)k;
	}
	ward_buf_printf(&b, "%-39s %9.3f\n", "total", total);
	return ward_buf_steal(&b);
}

void
release_log_free(struct release_log *log)
{
	if (log == NULL)
		return;
	json_decref(log->steps);
	log->steps = NULL;
}
