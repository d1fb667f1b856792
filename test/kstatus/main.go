// Command kstatus prints the verdict of sigs.k8s.io/cli-utils/pkg/kstatus (the library Flux's
// health checks use) for each Kubernetes object read as JSON from stdin: one object, several in a
// row, or a List. One JSON line per object on stdout:
//
//	{"kind":"Canary","namespace":"test","name":"podinfo","status":"InProgress","message":"..."}
//
// It exists so Davy's tests can ask the real library, not a re-implementation of its rules.
// Exit 1 on unreadable input or an object kstatus cannot judge.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus: %v\n", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	decoder := json.NewDecoder(in)
	encoder := json.NewEncoder(out)
	seen := 0
	for {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("reading object %d: %w", seen+1, err)
		}
		// As the API machinery reads objects: whole numbers as int64, which kstatus expects.
		var object map[string]interface{}
		if err := utiljson.Unmarshal(raw, &object); err != nil {
			return fmt.Errorf("reading object %d: %w", seen+1, err)
		}
		for _, item := range itemsOf(object) {
			seen++
			u := &unstructured.Unstructured{Object: item}
			result, err := status.Compute(u)
			if err != nil {
				return fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
			}
			v := verdict{u.GetKind(), u.GetNamespace(), u.GetName(), result.Status.String(), result.Message}
			if err := encoder.Encode(v); err != nil {
				return err
			}
		}
	}
	if seen == 0 {
		return errors.New("no object on stdin")
	}
	return nil
}

// itemsOf expands a List (kubectl get -o json of several objects) into its items.
func itemsOf(object map[string]interface{}) []map[string]interface{} {
	kind, _ := object["kind"].(string)
	items, isList := object["items"].([]interface{})
	if !isList || !strings.HasSuffix(kind, "List") {
		return []map[string]interface{}{object}
	}
	expanded := make([]map[string]interface{}, 0, len(items))
	for _, item := range items {
		if m, ok := item.(map[string]interface{}); ok {
			expanded = append(expanded, m)
		}
	}
	return expanded
}
