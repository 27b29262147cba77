# helpopts.awk: the options a command's --help lists, one a line ("-e",
# "--encoding"), read from the option column of each option line.
#
#   udpcat send --help | awk -f tests/helpopts.awk
#
# The column is 22 characters wide and followed by one space, or wider
# and followed by two (see opt_help() in src/opt.c).
/^  (-|    --)/ {
	s = substr($0, 3)
	if (substr(s, 23, 1) == " ")
		col = substr(s, 1, 22)
	else {
		col = s
		sub(/^ +/, "", col)
		col = substr(col, 1, index(col, "  ") - 1)
	}
	n = split(col, w, /[ ,]+/)
	for (i = 1; i <= n; i++)
		if (w[i] ~ /^--?[A-Za-z0-9]/)
			print w[i]
}
