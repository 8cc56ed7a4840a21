/** The documents the extension's providers serve: C sources, and headers VS Code opens as C++. */
import type * as vscode from 'vscode';

export const C_SELECTOR: vscode.DocumentSelector = [{ language: 'c' }, { language: 'cpp', pattern: '**/*.h' }];
