package main

// A tiny line-based kubeconfig reader: enough for the `server:` of the current
// context's cluster and the `token:` of its user. It understands the block
// style kubectl and racerig write, not YAML in general.

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

type kubeconfigEntry struct {
	name   string
	fields map[string]string // nested keys of the entry, e.g. server, cluster, user, token
}

// readKubeconfig returns the server URL and bearer token (may be empty) of the current context.
func readKubeconfig(path string) (server, token string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sections := map[string][]*kubeconfigEntry{}
	current := ""
	section := ""
	var entry *kubeconfigEntry
	itemIndent := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if indent == 0 && !strings.HasPrefix(trimmed, "- ") {
			key, value := splitKV(trimmed)
			section, entry = key, nil
			if key == "current-context" {
				current = value
			}
			continue
		}
		if strings.HasPrefix(trimmed, "- ") { // a new list item
			entry = &kubeconfigEntry{fields: map[string]string{}}
			sections[section] = append(sections[section], entry)
			itemIndent = indent + 2
			trimmed = strings.TrimSpace(trimmed[2:])
			indent = itemIndent
		}
		if entry == nil {
			continue
		}
		key, value := splitKV(trimmed)
		if key == "name" && indent == itemIndent {
			entry.name = value
		} else if value != "" {
			entry.fields[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	find := func(sec, name string) *kubeconfigEntry {
		for _, e := range sections[sec] {
			if e.name == name || (name == "" && len(sections[sec]) == 1) {
				return e
			}
		}
		return nil
	}
	ctx := find("contexts", current)
	if ctx == nil {
		return "", "", fmt.Errorf("%s: current context %q not found", path, current)
	}
	cluster := find("clusters", ctx.fields["cluster"])
	if cluster == nil || cluster.fields["server"] == "" {
		return "", "", fmt.Errorf("%s: no server for cluster %q", path, ctx.fields["cluster"])
	}
	if user := find("users", ctx.fields["user"]); user != nil {
		token = user.fields["token"]
	}
	return cluster.fields["server"], token, nil
}

func splitKV(s string) (string, string) {
	key, value, _ := strings.Cut(s, ":")
	value = strings.TrimSpace(value)
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return strings.TrimSpace(key), value
}
