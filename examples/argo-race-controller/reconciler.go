package main

// The workflow reconciler: a few workers on a queue of workflow names (Argo:
// wfQueue and operator.go, much reduced). A new workflow gets one pod per step
// of its first step group (containers main + wait + the template's sidecars);
// the next group starts when every node of the previous one is fulfilled (a
// daemon step is, once its pod runs and is ready). The workflow status (phase,
// startedAt, finishedAt, nodes) follows the pods. Pod cleanup gets a pod
// (terminateContainers: exec kill into its running containers, SIGKILL after
// the grace period) when its main container has exited while others still run
// (Argo: cleanUpPod), when the workflow's activeDeadlineSeconds has passed
// while it is Pending or Running (Argo: applyExecutionControl), and when it is
// a daemoned step's pod and the steps have ended (Argo: killDaemonedChildren);
// once all its containers have ended, labelPodCompleted and, later, deletePod.

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

type reconciler struct {
	namespace string
	client    *Client
	wfs       *informer[Workflow]
	pods      *informer[Pod]
	queue     *workQueue
	cleanup   *podCleanup
	events    *eventRecorder
	metrics   *Metrics
}

type step struct {
	group    int    // index of its step group (0 for a container entrypoint)
	name     string // display name
	podName  string
	template *Template
}

func (r *reconciler) run(ctx context.Context, workers int, wg *sync.WaitGroup) {
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				name, ok := r.queue.Get()
				if !ok {
					return
				}
				if err := r.reconcile(ctx, name); err != nil && ctx.Err() == nil {
					log.Printf("level=warning msg=\"reconcile failed\" workflow=%s error=%q", name, err)
					if isTransient(err) {
						r.queue.AddAfter(name, 200e6) // 200 ms
					}
				}
				r.queue.Done(name)
			}
		}()
	}
}

func (r *reconciler) reconcile(ctx context.Context, name string) error {
	wf, ok := r.wfs.Get(name)
	if !ok || wf.Metadata.DeletionTimestamp != nil {
		return nil
	}
	if fulfilled(wf.Status.Phase) {
		// Pods that end after their workflow (daemons, deadline kills) still get labelled and deleted.
		r.gcPods(wf, r.workflowPods(name), wf.Status.Nodes)
		return nil
	}
	if isNew(wf.Status.Phase) {
		return r.start(ctx, wf)
	}
	return r.operate(ctx, wf)
}

// isNew tells whether a workflow has not been started yet (no phase, or Pending as an API server may default it).
func isNew(phase string) bool { return phase == "" || phase == "Pending" }

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// plan returns the workflow's steps: the entrypoint's steps (each with its group), or the entrypoint itself.
func plan(wf *Workflow) ([]step, error) {
	tmpls := map[string]*Template{}
	for i := range wf.Spec.Templates {
		tmpls[wf.Spec.Templates[i].Name] = &wf.Spec.Templates[i]
	}
	entry := tmpls[wf.Spec.Entrypoint]
	if entry == nil {
		return nil, fmt.Errorf("entrypoint template %q not found", wf.Spec.Entrypoint)
	}
	podName := func(s string) string {
		n := nonDNS.ReplaceAllString(strings.ToLower(wf.Metadata.Name+"-"+s), "-")
		if len(n) > 63 {
			n = n[:63]
		}
		return strings.Trim(n, "-")
	}
	if entry.Container != nil {
		return []step{{name: entry.Name, podName: podName(entry.Name), template: entry}}, nil
	}
	var steps []step
	for g, group := range entry.Steps {
		for _, s := range group {
			t := tmpls[s.Template]
			if t == nil || t.Container == nil {
				return nil, fmt.Errorf("step %q: template %q is not a container template", s.Name, s.Template)
			}
			steps = append(steps, step{group: g, name: s.Name, podName: podName(s.Name), template: t})
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("entrypoint %q has neither a container nor steps", entry.Name)
	}
	return steps, nil
}

// deadlineMessage is Argo's node message for a step stopped by the workflow's activeDeadlineSeconds.
const deadlineMessage = "Step exceeded its deadline"

// start creates the pods of the workflow's first step group and marks it Running.
func (r *reconciler) start(ctx context.Context, wf *Workflow) error {
	steps, err := plan(wf)
	if err != nil {
		r.events.Event(workflowRef(wf), "Warning", "WorkflowFailed", err.Error())
		return r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
			if !isNew(st.Phase) {
				return false
			}
			st.Phase, st.Message, st.StartedAt, st.FinishedAt = "Failed", err.Error(), now(), now()
			return true
		})
	}
	first := stepsOfGroup(steps, 0)
	for _, s := range first {
		if err := r.createPod(ctx, wf, s); err != nil {
			return err
		}
	}
	started := now()
	err = r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
		if !isNew(st.Phase) {
			return false
		}
		st.Phase, st.StartedAt, st.Progress = "Running", started, fmt.Sprintf("0/%d", len(steps))
		st.Nodes = map[string]NodeStatus{}
		for _, s := range first {
			st.Nodes[s.podName] = newNode(wf, s, started)
		}
		return true
	})
	if err == nil {
		r.events.Event(workflowRef(wf), "Normal", "WorkflowRunning", "Workflow Running")
		// Argo: operate requeues the workflow at its deadline (woc.requeueAfter(time.Until(*woc.workflowDeadline))).
		if d := deadlineOf(wf.Spec, started); d != nil {
			r.queue.AddAfter(wf.Metadata.Name, time.Until(*d)+10*time.Millisecond)
		}
	}
	return err
}

func stepsOfGroup(steps []step, g int) []step {
	var out []step
	for _, s := range steps {
		if s.group == g {
			out = append(out, s)
		}
	}
	return out
}

func newNode(wf *Workflow, s step, started string) NodeStatus {
	return NodeStatus{ID: s.podName, Name: wf.Metadata.Name + "." + s.name, DisplayName: s.name,
		Type: "Pod", TemplateName: s.template.Name, Phase: "Pending", StartedAt: started}
}

// deadlineOf is Argo's getWorkflowDeadline: startedAt (truncated to the second) plus activeDeadlineSeconds; nil without either.
func deadlineOf(spec WorkflowSpec, startedAt string) *time.Time {
	if spec.ActiveDeadlineSeconds == nil || startedAt == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, startedAt)
	if err != nil {
		return nil
	}
	d := t.Truncate(time.Second).Add(time.Duration(*spec.ActiveDeadlineSeconds) * time.Second)
	return &d
}

// gracePeriod reads terminationGracePeriodSeconds from a podSpecPatch (JSON; other fields are ignored here).
func gracePeriod(patch string, into **int64) {
	if patch == "" {
		return
	}
	var p struct {
		TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds"`
	}
	if err := json.Unmarshal([]byte(patch), &p); err != nil {
		log.Printf("level=warning msg=\"podSpecPatch is not JSON; ignored\" error=%q", err)
		return
	}
	if p.TerminationGracePeriodSeconds != nil {
		*into = p.TerminationGracePeriodSeconds
	}
}

func (r *reconciler) createPod(ctx context.Context, wf *Workflow, s step) error {
	mainRunMs := 800
	if v, err := strconv.Atoi(wf.Metadata.Annotations[annMainRunMs]); err == nil && v >= 0 {
		mainRunMs = v
	}
	main := *s.template.Container
	main.Name = mainContainer
	containers := []Container{main, {Name: waitContainer, Image: "quay.io/argoproj/argoexec:v3.6.0-rc1", Command: []string{"argoexec"}, Args: []string{"wait"}}}
	containers = append(containers, s.template.Sidecars...)
	exitAfter, _ := json.Marshal(map[string]int{mainContainer: mainRunMs})
	labels := map[string]string{}
	annotations := map[string]string{annExitAfterMs: string(exitAfter)}
	// Argo (workflowpod.go): the workflow's podMetadata, then the template's metadata, then its own keys.
	for _, m := range []*Metadata{wf.Spec.PodMetadata, &s.template.Metadata} {
		if m == nil {
			continue
		}
		for k, v := range m.Labels {
			labels[k] = v
		}
		for k, v := range m.Annotations {
			annotations[k] = v
		}
	}
	labels[labelWorkflow], labels[labelCompleted] = wf.Metadata.Name, "false"
	annotations["workflows.argoproj.io/node-name"] = wf.Metadata.Name + "." + s.name
	spec := map[string]interface{}{"containers": containers, "restartPolicy": "Never"}
	var grace *int64 // Argo: the workflow's podSpecPatch, then the template's
	gracePeriod(wf.Spec.PodSpecPatch, &grace)
	gracePeriod(s.template.PodSpecPatch, &grace)
	if grace != nil {
		spec["terminationGracePeriodSeconds"] = *grace
	}
	pod := map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata": map[string]interface{}{
			"name":        s.podName,
			"namespace":   r.namespace,
			"labels":      labels,
			"annotations": annotations,
			"ownerReferences": []OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Name: wf.Metadata.Name,
				UID: wf.Metadata.UID, Controller: true, BlockOwnerDeletion: true}},
		},
		"spec": spec,
	}
	err := r.client.Do(ctx, "POST", fmt.Sprintf("/api/v1/namespaces/%s/pods", r.namespace), nil, pod, "", nil)
	if isAlreadyExists(err) {
		return nil
	}
	return err
}

// workflowPods returns copies of the workflow's pods from the informer's cache.
func (r *reconciler) workflowPods(name string) []*Pod {
	return r.pods.Filter(func(p *Pod) bool { return p.Metadata.Labels[labelWorkflow] == name })
}

// operate moves nodes along with their pods, applies the deadline, starts the next step group,
// kills daemoned steps' pods once the steps have ended, and completes the workflow (Argo: operate).
func (r *reconciler) operate(ctx context.Context, wf *Workflow) error {
	steps, err := plan(wf)
	if err != nil {
		return nil // start failed it
	}
	tmplOf := map[string]*Template{}
	for _, s := range steps {
		tmplOf[s.podName] = s.template
	}
	deadline := deadlineOf(wf.Spec, wf.Status.StartedAt)
	expired := deadline != nil && time.Now().After(*deadline)
	if deadline != nil && !expired {
		r.queue.AddAfter(wf.Metadata.Name, time.Until(*deadline)+10*time.Millisecond)
	}

	nodes := map[string]NodeStatus{}
	for id, n := range wf.Status.Nodes {
		nodes[id] = n
	}
	// Argo podReconciliation: every pod of the workflow in its own goroutine (at most 500 at once),
	// assessNodeStatus then applyExecutionControl, the nodes guarded by one RWMutex.
	pods := r.workflowPods(wf.Metadata.Name)
	seen := map[string]bool{}
	var nodesLock sync.RWMutex
	var wg sync.WaitGroup
	for _, pod := range pods {
		seen[pod.Metadata.Name] = true
		wg.Add(1)
		go func(pod *Pod) {
			defer wg.Done()
			r.assessNode(pod, nodes, tmplOf[pod.Metadata.Name], &nodesLock)
			r.applyExecutionControl(pod, nodes, expired, &nodesLock)
		}(pod)
	}
	wg.Wait()
	for id, n := range nodes {
		switch {
		case n.nodeFulfilled() || seen[id]:
		case n.Phase == "Running": // it ran and is gone
			n.Phase, n.Message, n.FinishedAt = "Error", "pod deleted", now()
			nodes[id] = n
		case expired: // Argo: fail pending nodes when exceeding the deadline
			n.Phase, n.Message, n.FinishedAt = "Failed", deadlineMessage, now()
			nodes[id] = n
		}
	}

	// The step groups in order (Argo: executeSteps / executeStepGroup).
	var next []step
	finished, failed := true, false
	groups := 0
	for _, s := range steps {
		if s.group+1 > groups {
			groups = s.group + 1
		}
	}
	for g := 0; g < groups && finished && !failed; g++ {
		for _, s := range stepsOfGroup(steps, g) {
			n, ok := nodes[s.podName]
			switch {
			case !ok:
				next = append(next, s)
			case !n.nodeFulfilled():
				finished = false
			case n.Phase == "Failed" || n.Phase == "Error":
				failed = true
			}
		}
		if len(next) > 0 && finished {
			if expired {
				next, failed = nil, true // the deadline passed: no further group starts
			} else {
				finished = false
			}
		} else if len(next) > 0 {
			next = nil // the group is partly created: wait for it (not expected: groups start whole)
		}
	}
	for _, s := range next {
		if err := r.createPod(ctx, wf, s); err != nil {
			return err
		}
		nodes[s.podName] = newNode(wf, s, now())
	}

	var killed []string
	var finalPhase, message string
	if finished {
		// Argo killDaemonedChildren: queue terminateContainers for each daemoned node's pod and mark it Succeeded.
		for id, n := range nodes {
			if n.isDaemoned() {
				n.Phase, n.Daemoned, n.FinishedAt = "Succeeded", nil, now()
				nodes[id] = n
				killed = append(killed, id)
			}
		}
		finalPhase = "Succeeded"
		nFailed := 0
		for _, n := range nodes {
			if n.Phase == "Failed" || n.Phase == "Error" {
				nFailed++
				if message == "" || n.Message == deadlineMessage {
					message = n.Message
				}
			}
		}
		if failed || nFailed > 0 {
			finalPhase = "Failed"
			if message != deadlineMessage {
				message = fmt.Sprintf("%d of %d steps failed", nFailed, len(steps))
			}
		}
	}

	changes := map[string]NodeStatus{}
	for id, n := range nodes {
		if old, ok := wf.Status.Nodes[id]; !ok || !sameNode(old, n) {
			changes[id] = n
		}
	}
	if len(changes) == 0 && finalPhase == "" {
		r.gcPods(wf, pods, nodes)
		return nil
	}
	err = r.updateStatus(ctx, wf.Metadata.Name, func(st *WorkflowStatus) bool {
		if fulfilled(st.Phase) || st.Nodes == nil {
			return false
		}
		changed := false
		for id, n := range changes {
			if cur, ok := st.Nodes[id]; !ok || !fulfilled(cur.Phase) && !sameNode(cur, n) {
				st.Nodes[id] = n
				changed = true
			}
		}
		succeeded := 0
		for _, n := range st.Nodes {
			if n.Phase == "Succeeded" {
				succeeded++
			}
		}
		st.Progress = fmt.Sprintf("%d/%d", succeeded, len(steps))
		if finalPhase != "" {
			st.Phase, st.Message, st.FinishedAt = finalPhase, message, now()
			changed = true
		}
		return changed
	})
	if err != nil {
		return err
	}
	for _, id := range killed {
		if pod, ok := r.pods.Get(id); ok {
			log.Printf("level=info msg=\"killing daemoned pod\" workflow=%s pod=%s", wf.Metadata.Name, id)
			r.cleanup.terminate(pod)
		}
	}
	for id, n := range changes {
		old, existed := wf.Status.Nodes[id]
		switch {
		case !existed || old.Phase == n.Phase:
		case fulfilled(n.Phase):
			r.events.Event(workflowRef(wf), "Normal", "WorkflowNode"+n.Phase, fmt.Sprintf("%s node %s", n.Phase, id))
		default:
			r.events.Event(workflowRef(wf), "Normal", "WorkflowNodeRunning", "Running node "+id)
		}
	}
	r.gcPods(wf, pods, nodes)
	if finalPhase != "" {
		r.metrics.AddInt(nameWorkflowsDone, 1, "phase", finalPhase)
		if message == deadlineMessage {
			r.events.Event(workflowRef(wf), "Warning", "WorkflowTimedOut", "Workflow exceeded its activeDeadlineSeconds")
		}
		r.events.Event(workflowRef(wf), "Normal", "Workflow"+finalPhase, "Workflow completed")
		log.Printf("level=info msg=\"workflow completed\" workflow=%s phase=%s message=%q", wf.Metadata.Name, finalPhase, message)
	}
	return nil
}

func sameNode(a, b NodeStatus) bool {
	return a.Phase == b.Phase && a.Message == b.Message && a.isDaemoned() == b.isDaemoned()
}

// assessNode is Argo's assessNodeStatus for one pod (plus cleanUpPod), under the nodes lock.
func (r *reconciler) assessNode(pod *Pod, nodes map[string]NodeStatus, tmpl *Template, lock *sync.RWMutex) {
	lock.Lock()
	defer lock.Unlock()
	old, ok := nodes[pod.Metadata.Name]
	if !ok || old.nodeFulfilled() && !old.isDaemoned() {
		return
	}
	n := old
	main := pod.containerState(mainContainer)
	switch {
	case pod.Status.Phase == "Pending":
		n.Phase, n.Daemoned = "Pending", nil
	case pod.allTerminated():
		n.Phase, n.Daemoned = "Succeeded", nil
		if !tmpl.isDaemon() && (main == nil || main.Terminated == nil || main.Terminated.ExitCode != 0) {
			n.Phase, n.Message = "Failed", "main container failed" // a daemon's pod failing is ignored
		}
		n.FinishedAt = now()
	case pod.Status.Phase == "Running":
		if tmpl.isDaemon() {
			if !fulfilled(old.Phase) && pod.allReady() {
				t := true
				n.Phase, n.Daemoned = "Running", &t
			}
		} else {
			n.Phase = "Running"
		}
		if main != nil && main.Terminated != nil {
			r.cleanup.terminate(pod) // Argo cleanUpPod: main exited, wait/sidecars still run
		}
	}
	nodes[pod.Metadata.Name] = n
}

// applyExecutionControl is Argo's: a Pending or Running pod of an unfulfilled node past the
// workflow's deadline goes to pod cleanup (terminateContainers) and its node fails.
func (r *reconciler) applyExecutionControl(pod *Pod, nodes map[string]NodeStatus, expired bool, lock *sync.RWMutex) {
	lock.RLock()
	n, ok := nodes[pod.Metadata.Name]
	lock.RUnlock()
	if !ok || n.nodeFulfilled() || !expired || (pod.Status.Phase != "Pending" && pod.Status.Phase != "Running") {
		return
	}
	log.Printf("level=info msg=\"Terminating pod which has exceeded workflow deadline\" pod=%s", pod.Metadata.Name)
	r.cleanup.terminate(pod)
	lock.Lock()
	defer lock.Unlock()
	n = nodes[pod.Metadata.Name]
	n.Phase, n.Message, n.FinishedAt, n.Daemoned = "Failed", deadlineMessage, now(), nil
	nodes[pod.Metadata.Name] = n
}

// gcPods queues labelPodCompleted (then deletePod) for each pod of a fulfilled node whose containers
// have all ended (Argo: queuePodsForCleanup, podGC OnPodCompletion, here after every container ended).
func (r *reconciler) gcPods(wf *Workflow, pods []*Pod, nodes map[string]NodeStatus) {
	for _, pod := range pods {
		if n, ok := nodes[pod.Metadata.Name]; (!ok || fulfilled(n.Phase)) && pod.allTerminated() {
			r.cleanup.completed(pod)
		}
	}
}

// updateStatus GETs the workflow, applies mutate to its status and PUTs the status
// subresource; on a 409 Conflict it GETs and tries again. mutate returns false for no change.
func (r *reconciler) updateStatus(ctx context.Context, name string, mutate func(*WorkflowStatus) bool) error {
	path := fmt.Sprintf("/apis/argoproj.io/v1alpha1/namespaces/%s/workflows/%s", r.namespace, name)
	var err error
	wf, ok := r.wfs.Get(name) // first try from the cache, like Argo
	for attempt := 0; attempt < 5; attempt++ {
		if !ok {
			wf = &Workflow{}
			if err = r.client.Do(ctx, "GET", path, nil, nil, "", wf); err != nil {
				return err
			}
		}
		if !mutate(&wf.Status) {
			return nil
		}
		wf.APIVersion, wf.Kind = "argoproj.io/v1alpha1", "Workflow"
		if err = r.client.Do(ctx, "PUT", path+"/status", nil, wf, "", nil); err == nil || !isConflict(err) {
			return err
		}
		ok = false // conflict: GET and apply again
	}
	return err
}
