package console

// mergeMessages adds an area's strings (its own messages_<area>.go) to the
// catalogue; a key defined twice is a programming error.
func mergeMessages(area map[string]map[string]string) {
	for l, m := range area {
		if catalogue[l] == nil {
			catalogue[l] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := catalogue[l][k]; dup {
				panic("console: message key defined twice: " + l + " " + k)
			}
			catalogue[l][k] = v
		}
	}
}
