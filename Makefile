# gochan: developer Makefile (luarocks uses the rockspec's builtin build).
LUA        ?= lua5.4
LUA_INCDIR ?= $(shell pkg-config --variable=includedir lua5.4 2>/dev/null || echo /usr/include)/lua5.4
CC         ?= cc
CFLAGS     ?= -O2 -g -fPIC
LIBFLAG    ?= -shared
DEVFLAGS   ?= -Werror
WARN       := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
              -Wcast-qual -Wwrite-strings -Wundef -Wpointer-arith
ALLCFLAGS  := $(CFLAGS) $(WARN) $(DEVFLAGS) -pthread -fvisibility=hidden -MMD -MP -I$(LUA_INCDIR) -Icsrc

SRCS := $(wildcard csrc/*.c)
OBJS := $(patsubst csrc/%.c,build/obj/%.o,$(SRCS))
SO   := build/gochan/core.so

all: $(SO)

$(SO): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAG) -pthread -o $@ $(OBJS) $(LDFLAGS)

build/obj/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d)

clean:
	rm -rf build

.PHONY: all clean
