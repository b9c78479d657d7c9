// The import shape of the project, checked by `npm run check:shape`.
// Data flows one way: api → workflows → activities → lib → models. Each rule
// below forbids one way of going against that flow; a violation is an error,
// so `npm test` stops on it.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
	forbidden: [
		{
			name: 'no-circular',
			severity: 'error',
			comment:
				'A circle of imports makes the load order decide which module sees the other half-initialised, and makes neither usable on its own. Type-only imports count too: a type circle means the two files are one unit in disguise.',
			from: { path: '^(api|workflows|activities|lib|models|bin|bench|scripts|test)/' },
			to: { circular: true },
		},
		{
			name: 'models-not-to-callers',
			severity: 'error',
			comment:
				'models/ is the bottom layer (pure model code: tensors, codecs, tokenizers). It must stay usable without the store, threads, Temporal or the CLI, so it imports nothing from the folders that use it.',
			from: { path: '^models/' },
			to: { path: '^(lib|activities|workflows|api|bin|bench|scripts|test)/' },
		},
		{
			name: 'lib-not-to-callers',
			severity: 'error',
			comment:
				'lib/ is the application library; activities, workflows, the HTTP API and the commands are built on it, not the other way round.',
			from: { path: '^lib/' },
			to: { path: '^(activities|workflows|api|bin)/' },
		},
		{
			name: 'activities-not-to-callers',
			severity: 'error',
			comment:
				'Activities are called by workflows and registered by the worker; an activity reaching back into them would tie the activity to one caller.',
			from: { path: '^activities/' },
			to: { path: '^(workflows|api|bin)/' },
		},
		{
			name: 'only-entry-points-to-api',
			severity: 'error',
			comment:
				'api/ is the HTTP front end. Only the commands (bin/), the tests and the benchmarks start it; nothing it serves may depend on it.',
			from: { pathNot: '^(api|bin|test|bench)/' },
			to: { path: '^api/' },
		},
		{
			name: 'only-entry-points-to-bin',
			severity: 'error',
			comment:
				'bin/ holds the commands, the top of the graph. Only other commands, the tests and the benchmarks may import them.',
			from: { pathNot: '^(bin|test|bench)/' },
			to: { path: '^bin/' },
		},
		{
			name: 'workflows-sandbox-safe-imports',
			severity: 'error',
			comment:
				"Workflow code is bundled into Temporal's deterministic sandbox and replayed from history, so it may load only other workflow files, the Temporal workflow and common packages, the constants-only module naming the non-retryable failure types, and (for their types, see the next rule) the activities.",
			from: { path: '^workflows/' },
			to: {
				pathNot: [
					'^workflows/',
					'^activities/',
					'(^|/)node_modules/@temporalio/(workflow|common)/',
					'^lib/temporal/failures[.]ts$',
				],
			},
		},
		{
			name: 'workflows-activities-types-only',
			severity: 'error',
			comment:
				'Workflows call activities through proxyActivities, which runs them in the worker outside the sandbox; a value import would load the activity code (and everything it imports) into the workflow bundle.',
			from: { path: '^workflows/' },
			to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
		},
	],
	options: {
		// Count imports that exist only before compilation (import type, and
		// imports used only as types), so type circles are caught as well.
		tsPreCompilationDeps: true,
		tsConfig: { fileName: 'tsconfig.json' },
		// Record imports of packages, but do not walk through the packages.
		doNotFollow: { path: ['node_modules'] },
		// The analyses no rule here needs (orphans, reachability, metrics) stay off.
		skipAnalysisNotInRules: true,
		progress: { type: 'none' },
	},
};
