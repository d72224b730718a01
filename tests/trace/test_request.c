/* The capture's request (tracer/capture.h): what the launcher writes, the library reads back. */
#include <tracer/capture.h>

#include <criterion/criterion.h>
#include <string.h>

/* A request with every field away from its default, and the texts at their longest. */
static void full_request(struct capture_config *c)
{
    *c = (struct capture_config){
        .pid = 4242,
        .status_fd = 7,
        .control_fd = 9,
        .mode = CAPTURE_REFERENCE,
        .entry = CAPTURE_ENTRY_STDIN,
        .stacks = CAPTURE_STACKS_BOTH,
        .depth = 33,
        .live = true,
        .window = 123456789012345ull,
        .step_lines = true,
        .hold = true,
        .pace = 2.5,
    };
    memset(c->step_files, 'f', sizeof c->step_files - 1);
    strcpy(c->trace, "/tmp/a trace.bin");
    strcpy(c->log, "/tmp/placements.log");
    strcpy(c->arena_source, "aligned");
    strcpy(c->command, "arenascope record -- python3 -X importtime x.py");
    strcpy(c->user_dir, "/home/u/project");
    strcpy(c->script, "/home/u/project/x.py");
}

static char request[4 * PATH_MAX + 4096];

Test(request, every_field_comes_back)
{
    struct capture_config in, out;
    full_request(&in);
    cr_assert_eq(capture_config_encode(&in, request, sizeof request), 0);
    cr_assert(capture_config_decode(request, &out));
    cr_assert_eq(out.pid, in.pid);
    cr_assert_eq(out.status_fd, in.status_fd);
    cr_assert_eq(out.control_fd, in.control_fd);
    cr_assert_eq(out.mode, in.mode);
    cr_assert_eq(out.entry, in.entry);
    cr_assert_eq(out.stacks, in.stacks);
    cr_assert_eq(out.depth, in.depth);
    cr_assert_eq(out.live, in.live);
    cr_assert_eq(out.window, in.window);
    cr_assert_eq(out.step_lines, in.step_lines);
    cr_assert_eq(out.hold, in.hold);
    cr_assert_eq(out.pace, in.pace);
    cr_assert_str_eq(out.step_files, in.step_files);
    cr_assert_str_eq(out.trace, in.trace);
    cr_assert_str_eq(out.log, in.log);
    cr_assert_str_eq(out.arena_source, in.arena_source);
    cr_assert_str_eq(out.command, in.command);
    cr_assert_str_eq(out.user_dir, in.user_dir);
    cr_assert_str_eq(out.script, in.script);
}

Test(request, every_value_of_the_enums_comes_back)
{
    struct capture_config in, out;
    full_request(&in);
    for (int m = CAPTURE_RECORD; m <= CAPTURE_REFERENCE; m++)
        for (int e = CAPTURE_ENTRY_SCRIPT; e <= CAPTURE_ENTRY_STDIN; e++)
            for (int s = CAPTURE_STACKS_NONE; s <= CAPTURE_STACKS_BOTH; s++) {
                in.mode = (enum capture_mode)m;
                in.entry = (enum capture_entry)e;
                in.stacks = (enum capture_stacks)s;
                cr_assert_eq(capture_config_encode(&in, request, sizeof request), 0);
                cr_assert(capture_config_decode(request, &out));
                cr_assert(out.mode == in.mode && out.entry == in.entry && out.stacks == in.stacks,
                          "mode %d entry %d stacks %d came back as %d %d %d", m, e, s, (int)out.mode,
                          (int)out.entry, (int)out.stacks);
            }
}

Test(request, what_is_not_known_reads_as_the_default)
{
    struct capture_config out;
    cr_assert(capture_config_decode("pid=5\x1fmode=other\x1f" "entry=9\x1fstacks=java\x1f" "colour=red", &out));
    cr_assert_eq(out.pid, 5);
    cr_assert_eq(out.mode, CAPTURE_RECORD);
    cr_assert_eq(out.entry, CAPTURE_ENTRY_SCRIPT);
    cr_assert_eq(out.stacks, CAPTURE_STACKS_NONE);
    cr_assert_eq(out.status_fd, -1, "a field not sent keeps its default");
    cr_assert_eq(out.depth, CAPTURE_DEFAULT_DEPTH);
    cr_assert_not(capture_config_decode("status=3", &out), "a request without a pid is refused");
    cr_assert_not(capture_config_decode("pid", &out), "a field without '=' is refused");
}

Test(request, a_buffer_too_small_is_refused)
{
    struct capture_config in;
    full_request(&in);
    cr_assert_eq(capture_config_encode(&in, request, sizeof request), 0);
    size_t need = strlen(request) + 1;
    cr_assert_eq(capture_config_encode(&in, request, need - 1), -1);
    cr_assert_eq(capture_config_encode(&in, request, need), 0);
}
