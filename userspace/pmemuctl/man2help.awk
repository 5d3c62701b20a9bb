# SPDX-License-Identifier: GPL-2.0
#
# man2help.awk - render pmemuctl's man pages (docs/man/*.1) as the plain
# text its --help prints, and emit them as C: the pages are the one source
# of both.  Handles the man(7) subset the pages use: .TH .SH .SS .PP .IP
# .TP .TQ .EX/.EE .nf/.fi .br, the font macros (.B .I .BR .RB .BI .IR .RI)
# and the escapes \- \% \& \e \(lq \(rq \(bu \fB \fI \fR \fP.
#
# Usage: awk -f man2help.awk pmemuctl.1 pmemuctl-list.1 ... > help.c
# Each page becomes { "COMMAND", "TEXT" }: pmemuctl.1 is "pmemuctl",
# pmemuctl-VERB.1 is "VERB".

function esc(s) {
	gsub(/\\-/, "-", s)
	gsub(/\\%/, "", s)
	gsub(/\\&/, "", s)
	gsub(/\\\(lq|\\\(rq/, "\"", s)
	gsub(/\\\(bu/, "*", s)
	gsub(/\\f[BIRP]/, "", s)
	gsub(/\\e/, "\\", s)
	gsub(/\\ /, " ", s)
	return s
}

# the arguments of a macro line, as roff splits them (quotes group words)
function args(s, a,    n, q, w, i, c, empty) {
	n = 0; q = 0; w = ""; empty = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\"" && q && substr(s, i + 1, 1) == "\"") {
			w = w c		# "" inside quotes is a quote
			i++
		} else if (c == "\"") {
			q = !q
			if (q && w == "") empty = 1
		} else if (c == " " && !q) {
			if (w != "" || empty) a[++n] = w
			w = ""; empty = 0
		} else {
			w = w c
		}
	}
	if (w != "" || empty) a[++n] = w
	return n
}

# the font macros: the arguments joined, with spaces (.B, .I) or without
# (.BR and the other alternating ones)
function font(name, rest,    a, n, i, out, sep) {
	n = args(rest, a)
	sep = (name == "B" || name == "I") ? " " : ""
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? sep : "") a[i]
	return esc(out)
}

function spaces(n,    s) {
	s = ""
	while (n-- > 0)
		s = s " "
	return s
}

# print the filled paragraph at indent IND (first line at FIRST)
function flush(    n, w, i, line, pad, width) {
	if (para == "")
		return
	n = split(para, w, " ")
	line = ""
	pad = spaces(first)
	width = 79
	for (i = 1; i <= n; i++) {
		if (line != "" && length(pad) + length(line) + 1 + length(w[i]) > width) {
			emit(pad line)
			pad = spaces(ind)
			line = w[i]
		} else {
			line = line == "" ? w[i] : line " " w[i]
		}
	}
	if (line != "")
		emit(pad line)
	para = ""
	first = ind
}

function add(text) {
	if (text == "")
		return
	para = para == "" ? text : para " " text
}

function emit(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s)
	body = body "\t\"" s "\\n\"\n"
	blank = 0
}

function emit_blank() {
	if (!blank && body != "")
		body = body "\t\"\\n\"\n"
	blank = 1
}

function page_end() {
	if (name == "")
		return
	flush()
	printf "\t{ \"%s\",\n%s\t},\n", name, body
	name = ""
}

BEGIN {
	print "/* SPDX-License-Identifier: GPL-2.0 */"
	print "/* Generated from the man pages (docs/man) by man2help.awk: edit those. */"
	print "#include \"help.h\""
	print ""
	print "const struct help_page help_pages[] = {"
}

FNR == 1 {
	page_end()
	name = FILENAME
	sub(/.*\//, "", name)
	sub(/\.1$/, "", name)
	sub(/^pmemuctl-/, "", name)
	body = ""; para = ""; ind = 7; first = 7; verbatim = 0; tag = 0; blank = 1
}

/^\.\\"/ || /^\.$/ || /^\.TH / { next }

verbatim && /^\.(EE|fi)/ { verbatim = 0; emit_blank(); next }
verbatim { emit(spaces(ind) esc($0)); next }

/^\.(EX|nf)/ { flush(); emit_blank(); verbatim = 1; next }

/^\.SH / {
	flush(); emit_blank()
	s = $0; sub(/^\.SH +/, "", s); gsub(/"/, "", s)
	emit(esc(s))
	blank = 1	# a header is followed by its text, not a blank line
	ind = 7; first = 7
	next
}

/^\.SS / {
	flush(); emit_blank()
	s = $0; sub(/^\.SS +/, "", s); gsub(/"/, "", s)
	emit("   " esc(s))
	blank = 1
	ind = 7; first = 7
	next
}

/^\.(PP|LP|P)$/ { flush(); emit_blank(); ind = 7; first = 7; next }

/^\.br/ { flush(); next }

# .TP / .TQ: the next line is a tag at 7, the text after it at 14
/^\.TP/ { flush(); emit_blank(); tag = 1; ind = 7; first = 7; next }
/^\.TQ/ { flush(); tag = 1; ind = 7; first = 7; next }

# .IP TAG WIDTH: the tag hangs before the text
/^\.IP/ {
	flush(); emit_blank()
	n = args(substr($0, 4), a)
	t = n >= 1 ? esc(a[1]) : ""
	w = n >= 2 ? a[2] + 0 : 4
	ind = 7 + w; first = 7
	if (t != "")
		para = t
	next
}

{
	if ($0 ~ /^\.(B|I|BR|RB|BI|IB|IR|RI)( |$)/) {
		m = $0; sub(/^\./, "", m); sub(/ .*/, "", m)
		rest = $0; sub(/^\.[A-Z]+ ?/, "", rest)
		text = font(m, rest)
	} else if ($0 ~ /^\./) {
		printf "man2help.awk: %s:%d: unknown request %s\n", FILENAME, FNR, $0 > "/dev/stderr"
		failed = 1
		exit 1
	} else {
		text = esc($0)
	}
	add(text)
	if (tag) {
		flush()
		tag = 0
		ind = 14; first = 14
	}
}

END {
	if (failed)
		exit 1
	page_end()
	print "\t{ 0, 0 },"
	print "};"
}
